// Command centrald is the reference central service that certkiosk
// terminals sync to. It runs on servers and links neither the GUI toolkit
// nor OpenCV/dlib.
//
//	centrald --data DIR --listen 127.0.0.1:PORT --insecure-http   # serve until SIGTERM
//	centrald --data DIR terminal add --id T-0001 --name NAME      # token on the last stdout line
//	centrald --data DIR terminal revoke --id T-0001
//	centrald --data DIR terminal reenroll --id T-0001              # new one-time token for an enrolled terminal
//	centrald --data DIR keys rotate --kind evidence|signing|tls   # retire a key, make its successor
//	centrald --data DIR terminal audit --id T-0001                 # acknowledged audit head SEQ:HASH, alarms
//	centrald --data DIR stats --json
//	centrald --data DIR identity export [--out FILE]             # FILE (or a redirected stdout) is made 0600
//	centrald --data DIR evidence export --out DIR2
//	centrald --data DIR import BUNDLE [--receipt OUT]                # offline delivery
//	centrald --data DIR tls pin
//	centrald --data DIR roster import FILE [--encoding auto|utf8|gbk]  # publish the next roster version
//
// Storage: SQLite in DIR by default, or --db sqlite:PATH, or --db postgres://….
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"certkiosk"
	"certkiosk/store"
	ksync "certkiosk/sync"
	"certkiosk/sync/central"
	"certkiosk/sync/central/sqlitestore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "centrald:", err)
		if errors.Is(err, flag.ErrHelp) || errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: centrald [--data DIR] [--db URL] [--listen ADDR [--insecure-http] | terminal add|reenroll|revoke|audit | stats | identity export [--out FILE] | evidence export --out DIR | import BUNDLE | tls pin | keys rotate --kind evidence|signing|tls | roster import FILE]")

type options struct {
	dataDir, db, listen string
	insecure            bool
}

// openStorage opens the storage --db names (default: SQLite in the data dir).
func openStorage(ctx context.Context, o options) (central.Storage, error) {
	switch {
	case o.db == "":
		return sqlitestore.Open(ctx, filepath.Join(o.dataDir, "central.db"))
	case strings.HasPrefix(o.db, "sqlite:"):
		return sqlitestore.Open(ctx, strings.TrimPrefix(o.db, "sqlite:"))
	case strings.HasPrefix(o.db, "postgres://") || strings.HasPrefix(o.db, "postgresql://"):
		return openPostgres(ctx, o.db)
	}
	return nil, fmt.Errorf("--db %q: want sqlite:PATH or postgres://…", o.db)
}

// run executes one command line. ready, if not nil, receives the bound
// address once serving (tests listen on port 0).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("centrald", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.dataDir, "data", "centrald-data", "data directory (keys; SQLite database by default)")
	fs.StringVar(&o.db, "db", "", "storage: sqlite:PATH or postgres://… (default: SQLite in --data)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8443", "address to listen on")
	fs.BoolVar(&o.insecure, "insecure-http", false, "serve plain HTTP (loopback tests only)")
	version := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version {
		fmt.Fprintln(stdout, "centrald", certkiosk.Version)
		return nil
	}
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := os.Chmod(o.dataDir, 0o700); err != nil { // it holds the keys
		return fmt.Errorf("data directory: %w", err)
	}
	keys, err := central.LoadOrCreateKeys(o.dataDir)
	if err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return serve(ctx, o, keys, stderr, ready)
	}
	if rest[0] == "keys" {
		kf := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
		kf.SetOutput(stderr)
		kind := kf.String("kind", "", "evidence, signing or tls")
		if len(rest) < 2 || rest[1] != "rotate" {
			return errUsage
		}
		if err := kf.Parse(rest[2:]); err != nil || kf.NArg() != 0 || *kind == "" {
			return errUsage
		}
		return rotateKey(o, *kind, stdout)
	}
	switch rest[0] {
	case "tls":
		if len(rest) != 2 || rest[1] != "pin" {
			return errUsage
		}
		_, pin, err := central.LoadOrCreateCert(o.dataDir, hostsOf(o.listen))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, pin) // for `kioskctl enroll --pin`
		return nil
	case "identity":
		xf := flag.NewFlagSet("identity export", flag.ContinueOnError)
		xf.SetOutput(stderr)
		out := xf.String("out", "", "write the identity to this new file (0600) instead of stdout")
		if len(rest) < 2 || rest[1] != "export" {
			return errUsage
		}
		if err := xf.Parse(rest[2:]); err != nil || xf.NArg() != 0 {
			return errUsage
		}
		return exportIdentity(keys, *out, stdout, stderr)
	}
	st, err := openStorage(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	switch rest[0] {
	case "terminal":
		return cmdTerminal(ctx, st, rest[1:], stdout, stderr)
	case "stats":
		sf := flag.NewFlagSet("stats", flag.ContinueOnError)
		asJSON := sf.Bool("json", false, "print JSON")
		if err := sf.Parse(rest[1:]); err != nil {
			return err
		}
		s, err := st.Stats(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(s)
		}
		fmt.Fprintf(stdout, "records %d, duplicates %d, conflicts %d, evidence %d, terminals %d, batches %d\n",
			s.Records, s.Duplicates, s.Conflicts, s.Evidence, s.Terminals, s.Batches)
		return nil
	case "roster":
		rf := flag.NewFlagSet("roster import", flag.ContinueOnError)
		encoding := rf.String("encoding", "auto", "auto, utf8 or gbk")
		if len(rest) < 3 || rest[1] != "import" || strings.HasPrefix(rest[2], "-") {
			return errUsage
		}
		if err := rf.Parse(rest[3:]); err != nil || rf.NArg() != 0 {
			return errUsage
		}
		return importRoster(ctx, st, rest[2], *encoding, stdout, stderr)
	case "import":
		imf := flag.NewFlagSet("import", flag.ContinueOnError)
		receipt := imf.String("receipt", "", "where to write the receipt (default: FILE.receipt.json)")
		if len(rest) < 2 || strings.HasPrefix(rest[1], "-") {
			return errUsage
		}
		if err := imf.Parse(rest[2:]); err != nil || imf.NArg() != 0 {
			return errUsage
		}
		return importBundle(ctx, st, keys, rest[1], *receipt, stdout)
	case "evidence":
		ef := flag.NewFlagSet("evidence export", flag.ContinueOnError)
		out := ef.String("out", "", "directory to write <record-uuid>.age files into")
		if len(rest) < 2 || rest[1] != "export" {
			return errUsage
		}
		if err := ef.Parse(rest[2:]); err != nil || *out == "" {
			return errUsage
		}
		return exportEvidence(ctx, st, *out, stdout, stderr)
	}
	return errUsage
}

func cmdTerminal(ctx context.Context, st central.Storage, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	tf := flag.NewFlagSet("terminal "+args[0], flag.ContinueOnError)
	tf.SetOutput(stderr)
	id := tf.String("id", "", "terminal ID, e.g. T-0001")
	name := tf.String("name", "", "terminal name, e.g. the service centre")
	ttl := tf.Duration("ttl", 24*time.Hour, "how long the enrollment token is valid")
	if err := tf.Parse(args[1:]); err != nil || *id == "" {
		return errUsage
	}
	switch args[0] {
	case "add":
		token := central.NewToken()
		if err := st.AddTerminal(ctx, *id, *name, central.TokenHash(token), time.Now().Add(*ttl)); err != nil {
			return fmt.Errorf("terminal add %s: %w", *id, err)
		}
		fmt.Fprintf(stdout, "terminal %s (%s): one-time enrollment token, valid %s:\n", *id, *name, *ttl)
		fmt.Fprintln(stdout, token) // the last line, for scripts
		return nil
	case "reenroll":
		// After a key rotation: a one-time token with which the enrolled
		// terminal enrolls again and receives the central's new keys.
		token := central.NewToken()
		if err := st.ReenrollToken(ctx, *id, central.TokenHash(token), time.Now().Add(*ttl)); err != nil {
			return fmt.Errorf("terminal reenroll %s: %w (enrolled and not revoked?)", *id, err)
		}
		fmt.Fprintf(stdout, "terminal %s: one-time re-enrollment token, valid %s:\n", *id, *ttl)
		fmt.Fprintln(stdout, token)
		return nil
	case "audit":
		// The terminal's audit head the central acknowledged, for
		// `kioskctl audit verify --anchor`, and any alarms.
		seq, hash, alarms, err := st.AuditState(ctx, *id)
		if err != nil {
			return err
		}
		for _, a := range alarms {
			fmt.Fprintf(stderr, "ALARM %s: %s\n", a.At.Format(time.RFC3339), a.Detail)
		}
		fmt.Fprintf(stdout, "%d:%s\n", seq, hash)
		if len(alarms) > 0 {
			return fmt.Errorf("terminal %s: %d audit alarm(s): its audit log was rewritten or rolled back", *id, len(alarms))
		}
		return nil
	case "revoke":
		if err := st.RevokeTerminal(ctx, *id); err != nil {
			return fmt.Errorf("terminal revoke %s: %w", *id, err)
		}
		fmt.Fprintf(stdout, "terminal %s revoked\n", *id)
		return nil
	}
	return errUsage
}

// exportEvidence writes each evidence object as OUT/<record-uuid>.age
// (a clip as <uuid>.clip.age), byte for byte as the terminal encrypted it.
// File names come only from canonical record IDs and the known kinds, and
// are opened through an os.Root on OUT, so nothing lands outside it; an
// existing file is never overwritten. A row that breaks these rules (a
// database from before they were checked at ingest) is skipped and
// reported; the export goes on and fails at the end.
func exportEvidence(ctx context.Context, st central.Storage, out string, stdout, stderr io.Writer) error {
	if err := os.MkdirAll(out, 0o700); err != nil {
		return fmt.Errorf("evidence export: %w", err)
	}
	root, err := os.OpenRoot(out)
	if err != nil {
		return fmt.Errorf("evidence export: %w", err)
	}
	defer root.Close()
	var n, same int
	var skipped []string
	err = st.EachEvidence(ctx, func(id, kind string, ct []byte) error {
		name, ok := evidenceFileName(id, kind)
		if !ok {
			skipped = append(skipped, fmt.Sprintf("record %q evidence %q: not a canonical record ID or a known kind", id, kind))
			return nil
		}
		switch err := writeNew(root, name, ct); {
		case err == nil:
			n++
		case errors.Is(err, errSameFile):
			same++
		default:
			skipped = append(skipped, fmt.Sprintf("%s: %v", name, err))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("evidence export: %w", err)
	}
	fmt.Fprintf(stdout, "exported %d evidence object(s) to %s", n, out)
	if same > 0 {
		fmt.Fprintf(stdout, " (%d already there, unchanged)", same)
	}
	fmt.Fprintln(stdout)
	for _, s := range skipped {
		fmt.Fprintln(stderr, "  skipped", s)
	}
	if len(skipped) > 0 {
		return fmt.Errorf("evidence export: %d object(s) skipped, listed above", len(skipped))
	}
	return nil
}

// evidenceFileName is the export file name of a record's evidence, from
// an allow-list: a canonical UUIDv7 and a known kind, nothing else.
func evidenceFileName(id, kind string) (string, bool) {
	if !central.CanonicalUUIDv7(id) || !central.EvidenceKinds[kind] {
		return "", false
	}
	if kind == "best_frame" {
		return id + ".age", true
	}
	return id + "." + kind + ".age", true
}

var errSameFile = errors.New("already exported")

// writeNew creates name in root (0600) and never replaces a file: one that
// exists with the same bytes is errSameFile, with other bytes an error.
func writeNew(root *os.Root, name string, data []byte) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		old, rerr := root.ReadFile(name)
		if rerr == nil && bytes.Equal(old, data) {
			return errSameFile
		}
		return errors.New("a different file with this name exists; not overwritten")
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rotateKey retires one of the central's keys and makes its successor.
func rotateKey(o options, kind string, stdout io.Writer) error {
	if err := central.RotateKey(o.dataDir, kind); err != nil {
		return err
	}
	switch kind {
	case central.KeyTLS:
		_, pin, err := central.LoadOrCreateCert(o.dataDir, hostsOf(o.listen))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new TLS certificate; its pin (for kioskctl enroll --pin):\n%s\n", pin)
	default:
		if _, err := central.LoadOrCreateKeys(o.dataDir); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new %s key; the old one is kept in %s\n", kind, filepath.Join(o.dataDir, "retired"))
	}
	fmt.Fprintln(stdout, "restart centrald, then re-enroll every terminal: centrald terminal reenroll --id ID; kioskctl enroll …")
	return nil
}

// exportIdentity gives out the central's age identity, the key to every
// terminal's evidence, never into a file others can read: with out, a new
// file created 0600; on stdout redirected to a file (identity export >
// id.txt), that file is made 0600 first or nothing is written.
func exportIdentity(keys *central.Keys, out string, stdout, stderr io.Writer) error {
	text := "# certkiosk central evidence identity: opens every terminal's evidence. Keep it offline.\n" + keys.Identity() + "\n"
	if out != "" {
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("identity export: %w (the file must not exist yet)", err)
		}
		if _, err := f.WriteString(text); err != nil {
			f.Close()
			os.Remove(out)
			return fmt.Errorf("identity export: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("identity export: %w", err)
		}
		fmt.Fprintf(stderr, "identity written to %s (mode 0600)\n", out)
		return nil
	}
	if f, ok := stdout.(*os.File); ok {
		fi, err := f.Stat()
		if err != nil {
			return fmt.Errorf("identity export: %w", err)
		}
		if fi.Mode().IsRegular() {
			if err := f.Chmod(0o600); err != nil {
				return fmt.Errorf("identity export: cannot make the output file private (0600), nothing written: %w", err)
			}
		}
	}
	_, err := io.WriteString(stdout, text)
	return err
}

// hostsOf gives the certificate's names: the listen host and this machine's name.
func hostsOf(listen string) []string {
	host, _, _ := net.SplitHostPort(listen)
	name, _ := os.Hostname()
	return []string{host, name}
}

// importRoster validates a roster file exactly as a terminal would (all or
// nothing, every bad line listed) and publishes it as the next version.
func importRoster(ctx context.Context, st central.Storage, path, encoding string, stdout, stderr io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("roster import: %w", err)
	}
	rs, enc, err := store.ParseRoster(data, encoding)
	var ie *store.ImportError
	if errors.As(err, &ie) {
		for _, l := range ie.Lines {
			fmt.Fprintf(stderr, "  line %d: %s\n", l.Line, l.Reason)
		}
		return fmt.Errorf("roster rejected, nothing imported: %w", err)
	}
	if err != nil {
		return err
	}
	entries := make([]ksync.RosterEntry, len(rs))
	for i, r := range rs {
		entries[i] = ksync.ToEntry(r)
	}
	v, changed, deleted, err := st.PutRoster(ctx, entries)
	if err != nil {
		return fmt.Errorf("roster import: %w", err)
	}
	fmt.Fprintf(stdout, "roster v%d (%s, %d rows): %d changed, %d removed\n", v, enc, len(rs), changed, deleted)
	return nil
}

// importBundle ingests an offline bundle and writes the receipt the
// terminal imports (`kioskctl import-receipt`).
func importBundle(ctx context.Context, st central.Storage, keys *central.Keys, path, receiptPath string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, ksync.MaxBundleBytes+1))
	f.Close()
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	b, err := ksync.ParseBundle(data)
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	res, rc, err := central.ImportBundle(ctx, st, keys, b, time.Now())
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	counts := map[string]int{}
	for _, r := range res {
		counts[r.Status]++
	}
	if receiptPath == "" {
		receiptPath = strings.TrimSuffix(path, ".json") + ".receipt.json"
	}
	out, _ := json.Marshal(rc)
	if err := os.WriteFile(receiptPath, out, 0o600); err != nil {
		return fmt.Errorf("import: write receipt: %w", err)
	}
	fmt.Fprintf(stdout, "imported %d record(s) from %s: %d accepted, %d duplicate, %d conflict, %d invalid; receipt %s\n",
		len(res), b.Terminal, counts[ksync.StatusAccepted], counts[ksync.StatusDuplicate], counts[ksync.StatusConflict],
		counts[ksync.StatusInvalid], receiptPath)
	return nil
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
	}
	st, err := openStorage(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger := log.New(stderr, "centrald: ", log.LstdFlags)
	srv := &http.Server{Handler: (&central.Server{Store: st, Keys: keys, Log: logger}).Handler(),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, WriteTimeout: 5 * time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	scheme, note := "http", "plain HTTP: loopback tests only"
	if !o.insecure {
		cert, pin, err := central.LoadOrCreateCert(o.dataDir, hostsOf(o.listen))
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
		scheme, note = "https", "TLS pin "+pin
	}
	logger.Printf("serving on %s://%s (data %s; %s)", scheme, ln.Addr(), o.dataDir, note)
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
