package central

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	ksync "certkiosk/sync"
)

// Server serves protocol v1 over a Storage.
type Server struct {
	Store Storage
	Keys  *Keys
	Now   func() time.Time
	Log   *log.Logger

	requests, rejected atomic.Int64
}

// Handler returns the HTTP routes.
func (s *Server) Handler() http.Handler {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = log.New(io.Discard, "", 0)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+ksync.PathHealth, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET "+ksync.PathMetrics, s.metrics)
	mux.HandleFunc("POST "+ksync.PathEnroll, s.enroll)
	mux.HandleFunc("POST "+ksync.PathBatches, s.batches)
	mux.HandleFunc("GET "+ksync.PathReceipts+"{code}", s.receipt)
	mux.HandleFunc("GET "+ksync.PathRoster, s.roster)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) fail(w http.ResponseWriter, status int, code, msg string) {
	s.rejected.Add(1)
	writeJSON(w, status, ksync.ErrorResponse{Code: code, Message: msg})
}

// TokenHash is how enrollment tokens are kept: only their SHA-256.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// NewToken makes a one-time enrollment token (128 random bits).
func NewToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("enrollment token: crypto/rand failed: %v", err))
	}
	return "ckt1-" + hex.EncodeToString(b[:])
}

func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	var req ksync.EnrollRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
		s.fail(w, http.StatusBadRequest, ksync.CodeInvalid, "malformed enrollment request")
		return
	}
	pub, err := base64.StdEncoding.DecodeString(req.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		s.fail(w, http.StatusBadRequest, ksync.CodeInvalid, "public key must be a base64 Ed25519 key")
		return
	}
	t, err := s.Store.Enroll(r.Context(), TokenHash(req.Token), pub, s.Now())
	if errors.Is(err, ErrBadToken) {
		s.fail(w, http.StatusUnauthorized, ksync.CodeBadToken, "enrollment token unknown, used or expired")
		return
	}
	if err != nil {
		s.Log.Printf("enroll: %v", err)
		s.fail(w, http.StatusInternalServerError, ksync.CodeInternal, "enrollment failed")
		return
	}
	s.Log.Printf("terminal %s enrolled", t.ID)
	writeJSON(w, http.StatusOK, ksync.EnrollResponse{TerminalID: t.ID, Name: t.Name,
		AgeRecipient: s.Keys.Recipient(), SigningKey: base64.StdEncoding.EncodeToString(s.Keys.SigningPublic())})
}

// authenticate checks a signed request and returns its terminal, or
// answers the request itself and returns "".
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, body []byte) string {
	sr, err := ksync.ParseSigned(r, body)
	if err != nil {
		s.fail(w, http.StatusUnauthorized, ksync.CodeBadSignature, err.Error())
		return ""
	}
	t, err := s.Store.Terminal(r.Context(), sr.Terminal)
	if errors.Is(err, ErrNotFound) || err == nil && t.PublicKey == nil {
		s.fail(w, http.StatusUnauthorized, ksync.CodeUnknownTerminal, "unknown or unenrolled terminal")
		return ""
	}
	if err != nil {
		s.Log.Printf("authenticate: %v", err)
		s.fail(w, http.StatusInternalServerError, ksync.CodeInternal, "cannot check the terminal")
		return ""
	}
	if t.Revoked {
		s.fail(w, http.StatusForbidden, ksync.CodeRevoked, "terminal revoked")
		return ""
	}
	if !sr.Verify(t.PublicKey) {
		s.fail(w, http.StatusUnauthorized, ksync.CodeBadSignature, "signature does not verify")
		return ""
	}
	now := s.Now()
	if d := now.Sub(sr.Timestamp); d > ksync.MaxSkew || d < -ksync.MaxSkew {
		s.fail(w, http.StatusUnauthorized, ksync.CodeClockSkew, fmt.Sprintf("clock differs from the central's by %s", d.Round(time.Second)))
		return ""
	}
	if err := s.Store.UseNonce(r.Context(), t.ID, sr.Nonce, now); errors.Is(err, ErrNonceReuse) {
		s.fail(w, http.StatusUnauthorized, ksync.CodeReplayedNonce, "nonce already used")
		return ""
	} else if err != nil {
		s.Log.Printf("nonce: %v", err)
		s.fail(w, http.StatusServiceUnavailable, ksync.CodeInternal, "cannot record the nonce")
		return ""
	}
	return t.ID
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, ksync.MaxBodyBytes))
	return body, err == nil
}

func (s *Server) batches(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	body, ok := readBody(w, r)
	if !ok {
		s.fail(w, http.StatusRequestEntityTooLarge, ksync.CodeTooLarge, "batch too large or body unreadable")
		return
	}
	terminal := s.authenticate(w, r, body)
	if terminal == "" {
		return
	}
	var b ksync.Batch
	var err error
	if r.Header.Get("Content-Type") == ksync.ContentTypeBatch {
		b, err = ksync.DecodeBatch(body)
	} else {
		err = json.Unmarshal(body, &b) // plain JSON, evidence in base64
	}
	if err != nil {
		s.fail(w, http.StatusBadRequest, ksync.CodeInvalid, "malformed batch")
		return
	}
	res, err := s.Store.Ingest(r.Context(), terminal, b.Records, s.Now())
	if err != nil {
		s.Log.Printf("ingest from %s: %v", terminal, err)
		s.fail(w, http.StatusServiceUnavailable, ksync.CodeInternal, "ingest failed; retry")
		return
	}
	counts := map[string]int{}
	for i := range res {
		res[i].Code = ksync.StatusCode(res[i].Status)
		counts[res[i].Status]++
	}
	s.Log.Printf("batch from %s: %d records %v", terminal, len(res), counts)
	writeJSON(w, http.StatusOK, ksync.BatchResponse{Results: res})
}

func (s *Server) roster(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.authenticate(w, r, nil) == "" {
		return
	}
	since, err := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	if err != nil && r.URL.Query().Get("since") != "" {
		s.fail(w, http.StatusBadRequest, ksync.CodeInvalid, "since must be a version number")
		return
	}
	u, err := s.Store.RosterSince(r.Context(), since)
	if err != nil {
		s.Log.Printf("roster: %v", err)
		s.fail(w, http.StatusServiceUnavailable, ksync.CodeInternal, "roster unavailable; retry")
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) receipt(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	code := strings.ToUpper(r.PathValue("code"))
	st, err := s.Store.Receipt(r.Context(), code)
	if errors.Is(err, ErrNotFound) {
		s.fail(w, http.StatusNotFound, "not_found", "no record with this receipt code")
		return
	}
	if err != nil {
		s.fail(w, http.StatusInternalServerError, ksync.CodeInternal, "lookup failed")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	st, err := s.Store.Stats(r.Context())
	if err != nil {
		http.Error(w, "stats unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "certkiosk_central_records %d\ncertkiosk_central_duplicates_total %d\ncertkiosk_central_conflicts_total %d\n"+
		"certkiosk_central_evidence %d\ncertkiosk_central_terminals %d\ncertkiosk_central_batches_total %d\n"+
		"certkiosk_central_requests_total %d\ncertkiosk_central_rejected_total %d\n",
		st.Records, st.Duplicates, st.Conflicts, st.Evidence, st.Terminals, st.Batches, s.requests.Load(), s.rejected.Load())
}
