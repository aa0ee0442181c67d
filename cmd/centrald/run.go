package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/central/sqlitestore"
)

var errUsage = errors.New("usage: centrald [--data DIR] [--db URL | --db-file FILE] [--cutoff-day N] [--listen ADDR [--insecure-http] | terminal add|reenroll|revoke|audit | stats | identity export [--out FILE] | evidence export --out DIR | import BUNDLE | tls pin | keys rotate --kind evidence|signing|tls | roster import FILE [--photos DIR] | console-user add --id ID --name NAME --role reviewer|admin | console-user disable|enable|pin --id ID | report suspensions|resumptions|due [--month YYYY-MM] [--csv]]")

type options struct {
	dataDir, db, listen string
	insecure            bool
	// cutoffDay is the office's back-pay cut-off day: the console's lists
	// use it and terminals receive it with every roster download.
	cutoffDay int
	// trustedProxy lists the reverse proxies (--trusted-proxy) whose
	// X-Forwarded-For gives the client address.
	trustedProxy string
	// consoleListen, when set, is the console's own listener
	// (--console-listen): --listen then serves the terminals' API only.
	consoleListen string
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
	// No identity number whole in any message or log line (stdout is for
	// the lists, which carry them on purpose).
	stderr = central.MaskingWriter(stderr)
	fs := flag.NewFlagSet("centrald", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.dataDir, "data", "centrald-data", "data directory (keys; SQLite database by default)")
	fs.StringVar(&o.db, "db", "", "storage: sqlite:PATH or postgres://… without a password (default: $CENTRALD_DB, else SQLite in --data)")
	dbFile := fs.String("db-file", "", "read the storage URL from this file (0600: it may hold the PostgreSQL password)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8443", "address to listen on")
	fs.BoolVar(&o.insecure, "insecure-http", false, "serve plain HTTP (loopback tests only)")
	fs.StringVar(&o.consoleListen, "console-listen", "", "serve the web console on this address only (an office network), not on --listen")
	fs.StringVar(&o.trustedProxy, "trusted-proxy", "", "addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed (the console's cookies then stay Secure)")
	fs.IntVar(&o.cutoffDay, "cutoff-day", certkiosk.DefaultBackpayCutoffDay, "back-pay cut-off day (1–31), pushed to terminals")
	version := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := resolveDB(&o, *dbFile); err != nil {
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
	case "console-user", "report":
		return consoleCommand(ctx, st, rest, o.cutoffDay, stdout, stderr)
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
		photos := rf.String("photos", "", "folder of reference photos, one JPEG per retiree named by ID number")
		if len(rest) < 3 || rest[1] != "import" || strings.HasPrefix(rest[2], "-") {
			return errUsage
		}
		if err := rf.Parse(rest[3:]); err != nil || rf.NArg() != 0 {
			return errUsage
		}
		return importRoster(ctx, st, keys, rest[2], *encoding, *photos, stdout, stderr)
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

// resolveDB settles the storage URL without a secret on the command line
// (N8: any local user can read a process's arguments): a password in --db
// is refused; it comes from --db-file (not readable by group or others)
// or from CENTRALD_DB, which the service's 0600 environment file sets.
func resolveDB(o *options, dbFile string) error {
	if o.db != "" && dbFile != "" {
		return fmt.Errorf("--db and --db-file: give one")
	}
	if o.db != "" {
		if u, err := url.Parse(o.db); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				return errors.New("--db: the PostgreSQL password must not be on the command line, where every local user can read it; " +
					"set CENTRALD_DB in the 0600 environment file, or use --db-file")
			}
		}
		return nil
	}
	if dbFile != "" {
		fi, err := os.Stat(dbFile)
		if err != nil {
			return fmt.Errorf("--db-file: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return fmt.Errorf("--db-file %s is readable by others (%v): chmod 600 it", dbFile, fi.Mode().Perm())
		}
		b, err := os.ReadFile(dbFile)
		if err != nil {
			return fmt.Errorf("--db-file: %w", err)
		}
		o.db = strings.TrimSpace(string(b))
		return nil
	}
	o.db = os.Getenv("CENTRALD_DB")
	return nil
}
