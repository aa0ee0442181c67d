package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
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

func TestRefusesPlainHTTPUnlessAsked(t *testing.T) {
	err := run(context.Background(), []string{"--data", t.TempDir(), "--listen", "127.0.0.1:0"}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "--insecure-http") {
		t.Fatalf("err = %v, want a refusal naming --insecure-http", err)
	}
}
