// Command centrald is the reference central service that certkiosk
// terminals sync to. It runs on servers and links neither the GUI toolkit
// nor OpenCV/dlib.
//
//	centrald --data DIR --listen 127.0.0.1:PORT --insecure-http
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"certkiosk"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "centrald:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. ready, if not nil, receives the bound address
// (tests listen on port 0).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("centrald", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "centrald-data", "data directory")
	listen := fs.String("listen", "127.0.0.1:8443", "address to listen on")
	insecure := fs.Bool("insecure-http", false, "serve plain HTTP (loopback tests only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*insecure {
		return errors.New("TLS serving is not built yet: pass --insecure-http, and only on loopback")
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: newMux(), ReadHeaderTimeout: 10 * time.Second}
	logger := log.New(stderr, "centrald: ", log.LstdFlags)
	logger.Printf("serving on http://%s (data %s)", ln.Addr(), *dataDir)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Printf("stopped")
	return nil
}

func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"status\":\"ok\",\"version\":%q}\n", certkiosk.Version)
	})
	return mux
}
