package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// N8: the PostgreSQL password never goes on the command line, where any
// local user reads it; it comes from CENTRALD_DB (the 0600 environment
// file) or from a --db-file nobody else can read.
func TestDatabasePasswordNotOnTheCommandLine(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	var out, errOut bytes.Buffer
	err := run(ctx, []string{"--data", data, "--db", "postgres://certkiosk:S3cretDbPass@127.0.0.1:1/x", "stats"}, &out, &errOut, nil)
	if err == nil || !strings.Contains(err.Error(), "command line") || strings.Contains(err.Error(), "S3cretDbPass") {
		t.Fatalf("a password in --db: %v", err)
	}
	f := filepath.Join(t.TempDir(), "db")
	os.WriteFile(f, []byte("sqlite:"+filepath.Join(data, "other.db")+"\n"), 0o644)
	if err := run(ctx, []string{"--data", data, "--db-file", f, "stats"}, &out, &errOut, nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a --db-file others can read: %v", err)
	}
	os.Chmod(f, 0o600)
	if err := run(ctx, []string{"--data", data, "--db-file", f, "stats"}, &out, &errOut, nil); err != nil {
		t.Fatalf("a 0600 --db-file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "other.db")); err != nil {
		t.Fatalf("the --db-file's database was not used: %v", err)
	}
	t.Setenv("CENTRALD_DB", "sqlite:"+filepath.Join(data, "env.db"))
	if err := run(ctx, []string{"--data", data, "stats"}, &out, &errOut, nil); err != nil {
		t.Fatalf("CENTRALD_DB: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "env.db")); err != nil {
		t.Fatalf("CENTRALD_DB's database was not used: %v", err)
	}
	unit, err := os.ReadFile("../../packaging/central/certkiosk-central.service")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(unit), "--db") {
		t.Error("the service unit passes --db on the command line")
	}
}

// N7: with --console-listen the console is served only on its own
// (office) address, and the terminals' listener answers only the API.
func TestConsoleOnItsOwnListener(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	consoleAddr := l.Addr().String()
	l.Close()
	ready := make(chan string, 1)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		run(ctx, []string{"--data", data, "--listen", "127.0.0.1:0", "--console-listen", consoleAddr, "--insecure-http"}, io.Discard, io.Discard, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("centrald did not start")
	}
	get := func(u string) int {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("http://" + addr + "/console/login"); got != http.StatusNotFound {
		t.Errorf("the console on the terminals' listener: %d", got)
	}
	if got := get("http://" + addr + "/healthz"); got != http.StatusOK {
		t.Errorf("healthz on the terminals' listener: %d", got)
	}
	if got := get("http://" + consoleAddr + "/console/login"); got != http.StatusOK {
		t.Errorf("the console on its own listener: %d", got)
	}
	if got := get("http://" + consoleAddr + "/healthz"); got == http.StatusOK {
		t.Error("the terminals' API on the console's listener")
	}
	cancel()
	<-stopped
}
