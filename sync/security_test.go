package sync_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"certkiosk/store"
	ksync "certkiosk/sync"
	"certkiosk/sync/terminal"
)

// post sends a batch body with a signature made by key at now, and lets
// tamper change the request after signing.
func post(t *testing.T, r *rig, terminal string, key ed25519.PrivateKey, body []byte, now time.Time, tamper func(*http.Request)) (*http.Request, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+ksync.PathBatches, bytes.NewReader(body))
	if err := ksync.Sign(req, terminal, key, body, now); err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return req, resp
}

func code(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var er ksync.ErrorResponse
	json.NewDecoder(resp.Body).Decode(&er)
	return er.Code
}

func TestSecurityRejections(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.save(t, 3)
	batch, _ := r.kiosk.Outbox(ctx, 10, 1<<20)
	b := ksync.Batch{}
	for _, o := range batch {
		b.Records = append(b.Records, terminal.ToRecord(o))
	}
	body, _ := json.Marshal(b)
	c := r.client(t, "")
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Now()
	tampered := bytes.Replace(body, []byte(`"verdict":"pass"`), []byte(`"verdict":"fail"`), 1)

	cases := []struct {
		name     string
		terminal string
		key      ed25519.PrivateKey
		body     []byte
		at       time.Time
		tamper   func(*http.Request)
		status   int
		code     string
	}{
		{"tampered body", c.Terminal, c.Key, body, now, func(q *http.Request) {
			q.Body = ioNop(tampered)
			q.ContentLength = int64(len(tampered))
		}, 401, ksync.CodeBadSignature},
		{"wrong key", c.Terminal, otherKey, body, now, nil, 401, ksync.CodeBadSignature},
		// F9: an unknown terminal is answered like a bad signature.
		{"unknown terminal", "T-9999", c.Key, body, now, nil, 401, ksync.CodeBadSignature},
		{"clock 6 minutes fast", c.Terminal, c.Key, body, now.Add(6 * time.Minute), nil, 401, ksync.CodeClockSkew},
		{"clock 6 minutes slow", c.Terminal, c.Key, body, now.Add(-6 * time.Minute), nil, 401, ksync.CodeClockSkew},
		{"no signature", c.Terminal, c.Key, body, now, func(q *http.Request) { q.Header.Del(ksync.HeaderSignature) }, 401, ksync.CodeBadSignature},
	}
	for _, tc := range cases {
		_, resp := post(t, r, tc.terminal, tc.key, tc.body, tc.at, tc.tamper)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		if got := code(t, resp); got != tc.code {
			t.Errorf("%s: code %q, want %q", tc.name, got, tc.code)
		}
	}
	// Replay: the same signed request twice.
	req, resp := post(t, r, c.Terminal, c.Key, body, now, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("genuine request: %d %s", resp.StatusCode, code(t, resp))
	}
	var br ksync.BatchResponse
	json.NewDecoder(resp.Body).Decode(&br)
	resp.Body.Close()
	if len(br.Results) != 3 || br.Results[0].Status != "accepted" || br.Results[0].Code != 201 {
		t.Fatalf("genuine batch answer: %+v", br)
	}
	replay, _ := http.NewRequest(http.MethodPost, req.URL.String(), bytes.NewReader(body))
	replay.Header = req.Header.Clone()
	resp2, err := http.DefaultClient.Do(replay)
	if err != nil {
		t.Fatal(err)
	}
	if resp2.StatusCode != 401 || code(t, resp2) != ksync.CodeReplayedNonce {
		t.Errorf("replay: status %d", resp2.StatusCode)
	}
	st, _ := r.store.Stats(ctx)
	if st.Records != 3 || st.Duplicates != 0 {
		t.Fatalf("after the rejections and one genuine batch: %+v, want exactly its 3 records", st)
	}
	// Revoked: refused, and the kiosk shows it instead of retrying blindly.
	if err := r.store.RevokeTerminal(ctx, c.Terminal); err != nil {
		t.Fatal(err)
	}
	r.save(t, 1)
	_, err = (&terminal.Worker{DB: r.kiosk, Client: c}).SyncOnce(ctx)
	var he *ksync.HTTPError
	if !errors.As(err, &he) || he.Code != ksync.CodeRevoked || ksync.Retryable(err) {
		t.Fatalf("revoked terminal: %v", err)
	}
	if st, _ := r.store.Stats(ctx); st.Records != 3 {
		t.Fatalf("a revoked terminal's record was ingested: %+v", st)
	}
	if he.ErrorMsg().Key != "error.sync.revoked" {
		t.Fatalf("message for staff %q, want error.sync.revoked", he.ErrorMsg().Key)
	}
}

func TestEnrollmentTokenIsOneTime(t *testing.T) {
	r := newRig(t) // enrolled with its token
	ctx := context.Background()
	other, _ := store.Open(ctx, t.TempDir())
	defer other.Close()
	_, err := terminal.Enroll(ctx, other, "t", r.srv.URL, "ckt1-00000000000000000000000000000000", true, "")
	var he *ksync.HTTPError
	if !errors.As(err, &he) || he.Code != ksync.CodeBadToken {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := terminal.Enroll(ctx, other, "t", r.srv.URL, "x", false, ""); err == nil {
		t.Fatal("plain HTTP without --insecure-http was allowed")
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func ioNop(b []byte) nopCloser { return nopCloser{bytes.NewReader(b)} }
