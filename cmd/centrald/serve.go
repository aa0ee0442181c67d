package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"certkiosk/central"
	"certkiosk/central/console"
)

// hostsOf gives the certificate's names: the listen host and this machine's name.
func hostsOf(listen string) []string {
	host, _, _ := net.SplitHostPort(listen)
	name, _ := os.Hostname()
	return []string{host, name}
}

// loopbackOnly refuses plain HTTP on any address but loopback: terminals'
// records would otherwise cross a network in clear.
func loopbackOnly(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", listen, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--insecure-http serves plain HTTP and is allowed only on a loopback address (127.0.0.1, ::1), not %q", listen)
}

func serve(ctx context.Context, o options, keys *central.Keys, stderr io.Writer, ready chan<- string) error {
	if o.insecure {
		if err := loopbackOnly(o.listen); err != nil {
			return err
		}
		if o.consoleListen != "" {
			if err := loopbackOnly(o.consoleListen); err != nil {
				return err
			}
		}
	}
	st, err := openStorage(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := checkCutoffDay(o.cutoffDay); err != nil {
		return err
	}
	trusted, err := central.ParseTrustedProxies(o.trustedProxy)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger := log.New(stderr, "centrald: ", log.LstdFlags)
	// The console's background refresh stops, and is waited for, before
	// the storage closes.
	cctx, stopConsole := context.WithCancel(ctx)
	clients := central.ClientAddrs{Trusted: trusted}
	// Behind a trusted TLS proxy the console is reached over HTTPS: its
	// cookies stay Secure.
	both, apiOnly, consoleOnly, consoleDone := withConsole(cctx, st, keys, logger, api(st, keys, logger, o, clients),
		!o.insecure || len(trusted) > 0, o.cutoffDay, clients.Addr)
	defer func() { stopConsole(); consoleDone() }()
	newServer := func(h http.Handler) *http.Server {
		return &http.Server{Handler: h,
			ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, WriteTimeout: 5 * time.Minute,
			IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	}
	// With --console-listen the console has a listener of its own (an
	// office-only address) and the terminals' listener serves only the API.
	handler := both
	var cln net.Listener
	if o.consoleListen != "" {
		handler = apiOnly
		if cln, err = net.Listen("tcp", o.consoleListen); err != nil {
			ln.Close()
			return fmt.Errorf("console listen: %w", err)
		}
		defer cln.Close()
	}
	srv := newServer(handler)
	scheme, note := "http", "plain HTTP: loopback tests only"
	if !o.insecure {
		cert, pin, err := central.LoadOrCreateCert(o.dataDir, hostsOf(o.listen))
		if err != nil {
			ln.Close()
			return err
		}
		tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
		ln = tls.NewListener(ln, tc)
		if cln != nil {
			cln = tls.NewListener(cln, tc)
		}
		scheme, note = "https", "TLS pin "+pin
	}
	logger.Printf("serving on %s://%s (data %s; %s)", scheme, ln.Addr(), o.dataDir, note)
	errc := make(chan error, 2)
	var csrv *http.Server
	if cln != nil {
		csrv = newServer(consoleOnly)
		logger.Printf("console on %s://%s%s", scheme, cln.Addr(), console.Prefix)
		go func() { errc <- csrv.Serve(cln) }()
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if csrv != nil {
		csrv.Shutdown(shutdown)
	}
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Printf("stopped")
	return nil
}

// api is the terminals' API.
func api(st central.Storage, keys *central.Keys, logger *log.Logger, o options, clients central.ClientAddrs) http.Handler {
	return (&central.Server{Store: st, Keys: keys, Log: logger, BackpayCutoffDay: o.cutoffDay, Clients: clients}).Handler()
}
