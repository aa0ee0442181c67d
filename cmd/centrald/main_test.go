package main

import (
	"bytes"
	"certkiosk"
	ksync "certkiosk/sync"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestHealthzAndGracefulStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--data", t.TempDir(), "--listen", "127.0.0.1:0", "--insecure-http"},
			io.Discard, io.Discard, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("centrald exited: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("centrald did not start")
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Status string }
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || body.Status != "ok" {
		t.Fatalf("healthz: %d %+v %v", resp.StatusCode, body, err)
	}
	if r, err := http.Post("http://"+addr+"/healthz", "text/plain", nil); err != nil || r.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /healthz: %v %v, want 405", r.StatusCode, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stop: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("centrald did not stop")
	}
}

func TestServesTLSWithAPinnedCertificate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data := t.TempDir()
	ready := make(chan string, 1)
	go run(ctx, []string{"--data", data, "--listen", "127.0.0.1:0"}, io.Discard, io.Discard, ready)
	var addr string
	select {
	case addr = <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("centrald did not start")
	}
	var pin strings.Builder
	if err := run(ctx, []string{"--data", data, "tls", "pin"}, &pin, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	good := ksync.NewHTTPClient(strings.TrimSpace(pin.String()), false, 5*time.Second)
	resp, err := good.Get("https://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("pinned client: %v", err)
	}
	resp.Body.Close()
	wrong := ksync.NewHTTPClient(strings.Repeat("ab", 32), false, 5*time.Second)
	if _, err := wrong.Get("https://" + addr + "/healthz"); err == nil || !strings.Contains(err.Error(), "pin") {
		t.Fatalf("wrong pin: %v", err)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP answered on the TLS port")
	}
}

func TestVersionFlag(t *testing.T) {
	var out bytes.Buffer
	data := t.TempDir() + "/never-made"
	if err := run(context.Background(), []string{"--data", data, "--version"}, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if out.String() != "centrald "+certkiosk.Version+"\n" {
		t.Fatalf("--version: %q", out.String())
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatalf("--version touched the data directory: %v", err)
	}
}
