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
	gosync "sync"
	"sync/atomic"
	"time"

	"certkiosk"
	ksync "certkiosk/sync"
)

// Server serves protocol v1 over a Storage.
type Server struct {
	Store Storage
	Keys  *Keys
	Now   func() time.Time
	Log   *log.Logger
	// MaxUploads bounds the batch bodies held at once (default 4); past it
	// a batch is answered 503 busy before its body is read.
	MaxUploads int
	// MaxUploadsPerAddress bounds the bodies one client address has in
	// flight (default 2), so one sender cannot hold every slot.
	MaxUploadsPerAddress int
	// RateLimit bounds unauthenticated work per client address.
	RateLimit RateLimit
	// BackpayCutoffDay is the office's back-pay cut-off day, pushed to the
	// terminals with every roster download (0: the terminals keep their
	// own, certkiosk.DefaultBackpayCutoffDay unless set).
	BackpayCutoffDay int

	requests, rejected, limited, busy atomic.Int64
	uploading                         atomic.Int64
	uploads                           chan struct{}
	limiter                           *limiter
	perAddrMu                         gosync.Mutex
	perAddr                           map[string]int
}

// takeAddr counts one more body in flight from addr, false past the cap.
func (s *Server) takeAddr(addr string) bool {
	s.perAddrMu.Lock()
	defer s.perAddrMu.Unlock()
	if s.perAddr[addr] >= s.MaxUploadsPerAddress {
		return false
	}
	s.perAddr[addr]++
	return true
}

func (s *Server) releaseAddr(addr string) {
	s.perAddrMu.Lock()
	defer s.perAddrMu.Unlock()
	if s.perAddr[addr]--; s.perAddr[addr] <= 0 {
		delete(s.perAddr, addr)
	}
}

// UploadsInFlight is how many batch bodies are being read or ingested.
func (s *Server) UploadsInFlight() int64 { return s.uploading.Load() }

// DefaultMaxUploads is how many batch bodies the central holds at once,
// and DefaultMaxUploadsPerAddress how many of them one address may hold.
const (
	DefaultMaxUploads           = 4
	DefaultMaxUploadsPerAddress = 2
)

// Handler returns the HTTP routes.
func (s *Server) Handler() http.Handler {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = log.New(io.Discard, "", 0)
	}
	if s.MaxUploads <= 0 {
		s.MaxUploads = DefaultMaxUploads
	}
	if s.MaxUploadsPerAddress <= 0 {
		s.MaxUploadsPerAddress = DefaultMaxUploadsPerAddress
	}
	s.uploads = make(chan struct{}, s.MaxUploads)
	s.perAddr = map[string]int{}
	s.limiter = newLimiter(s.RateLimit, func() time.Time { return s.Now() })
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+ksync.PathHealth, s.open(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	mux.HandleFunc("GET "+ksync.PathMetrics, s.open(s.metrics))
	mux.HandleFunc("POST "+ksync.PathEnroll, s.open(s.enroll))
	mux.HandleFunc("POST "+ksync.PathBatches, s.batches)
	mux.HandleFunc("GET "+ksync.PathReceipts+"{code}", s.open(s.receipt))
	mux.HandleFunc("GET "+ksync.PathRoster, s.roster)
	mux.HandleFunc("POST "+ksync.PathContacts, s.contacts)
	mux.HandleFunc("GET "+ksync.PathPhotos+"{id}", s.photo)
	return mux
}

// open wraps an unauthenticated endpoint: every call spends a token of
// the caller's address.
func (s *Server) open(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.limiter.take(clientAddr(r)) {
			s.tooMany(w)
			return
		}
		h(w, r)
	}
}

func (s *Server) tooMany(w http.ResponseWriter) {
	s.limited.Add(1)
	w.Header().Set("Retry-After", "10")
	s.fail(w, http.StatusTooManyRequests, ksync.CodeRateLimited, "too many requests from this address; retry later")
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
	if err != nil || len(pub) != ed25519.PublicKeySize || ksync.SmallOrderKey(pub) {
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

// notAuthenticated is the one answer for every request whose signature
// cannot be shown to be a terminal's: missing or malformed headers, an
// unknown or unenrolled terminal, a wrong signature. Unsigned callers learn
// nothing about which terminals exist. It spends a token of the address.
func (s *Server) notAuthenticated(w http.ResponseWriter, r *http.Request) {
	s.limiter.take(clientAddr(r))
	s.fail(w, http.StatusUnauthorized, ksync.CodeBadSignature, "request not authenticated")
}

// authenticate checks a signed request and returns its terminal and body,
// or answers the request itself and returns ok false. Everything that
// costs nothing — the headers' form, the clock, the terminal — is checked
// before the body is read; a body (withBody) is then read only within an
// upload slot and up to MaxBodyBytes. release frees the slot.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, withBody bool) (terminal string, body []byte, release func(), ok bool) {
	release = func() {}
	addr := clientAddr(r)
	if s.limiter.empty(addr) {
		s.tooMany(w)
		return "", nil, release, false
	}
	sr, err := ksync.ParseSignedHeaders(r)
	if err != nil {
		s.notAuthenticated(w, r)
		return "", nil, release, false
	}
	now := s.Now()
	if d := now.Sub(sr.Timestamp); d > ksync.MaxSkew || d < -ksync.MaxSkew {
		s.limiter.take(addr)
		s.fail(w, http.StatusUnauthorized, ksync.CodeClockSkew, fmt.Sprintf("clock differs from the central's by %s", d.Round(time.Second)))
		return "", nil, release, false
	}
	t, err := s.Store.Terminal(r.Context(), sr.Terminal)
	if errors.Is(err, ErrNotFound) || err == nil && t.PublicKey == nil {
		s.notAuthenticated(w, r)
		return "", nil, release, false
	}
	if err != nil {
		s.Log.Printf("authenticate: %v", err)
		s.fail(w, http.StatusServiceUnavailable, ksync.CodeInternal, "cannot check the terminal; retry")
		return "", nil, release, false
	}
	if withBody {
		if r.ContentLength > ksync.MaxBodyBytes {
			s.fail(w, http.StatusRequestEntityTooLarge, ksync.CodeTooLarge, fmt.Sprintf("body longer than %d bytes", ksync.MaxBodyBytes))
			return "", nil, release, false
		}
		busy := func() (string, []byte, func(), bool) {
			s.busy.Add(1)
			w.Header().Set("Retry-After", "5")
			s.fail(w, http.StatusServiceUnavailable, ksync.CodeBusy, "the central is receiving other batches; retry later")
			return "", nil, func() {}, false
		}
		if !s.takeAddr(addr) {
			return busy()
		}
		select {
		case s.uploads <- struct{}{}:
		default:
			s.releaseAddr(addr)
			return busy()
		}
		s.uploading.Add(1)
		release = func() { s.uploading.Add(-1); <-s.uploads; s.releaseAddr(addr) }
		var err error
		body, err = readBody(w, r)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			release()
			s.fail(w, http.StatusRequestEntityTooLarge, ksync.CodeTooLarge, fmt.Sprintf("body longer than %d bytes", ksync.MaxBodyBytes))
			return "", nil, func() {}, false
		}
		if err != nil {
			release()
			s.fail(w, http.StatusBadRequest, ksync.CodeInvalid, "body unreadable")
			return "", nil, func() {}, false
		}
	}
	sr.SetBody(body)
	if !sr.Verify(t.PublicKey) {
		release()
		s.notAuthenticated(w, r)
		return "", nil, func() {}, false
	}
	if t.Revoked {
		release()
		s.fail(w, http.StatusForbidden, ksync.CodeRevoked, "terminal revoked")
		return "", nil, func() {}, false
	}
	if err := s.Store.UseNonce(r.Context(), t.ID, sr.Nonce, now); errors.Is(err, ErrNonceReuse) {
		release()
		s.fail(w, http.StatusUnauthorized, ksync.CodeReplayedNonce, "nonce already used")
		return "", nil, func() {}, false
	} else if err != nil {
		release()
		s.Log.Printf("nonce: %v", err)
		s.fail(w, http.StatusServiceUnavailable, ksync.CodeInternal, "cannot record the nonce")
		return "", nil, func() {}, false
	}
	return t.ID, body, release, true
}

// readBody reads a body of at most MaxBodyBytes: into one buffer of its
// Content-Length when that is given (net/http holds the body to it), else
// (chunked) growing as it comes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, ksync.MaxBodyBytes)
	if r.ContentLength < 0 {
		return io.ReadAll(rd)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(rd, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

func (s *Server) batches(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	terminal, body, release, ok := s.authenticate(w, r, true)
	defer release()
	if !ok {
		return
	}
	b, err := ksync.ReadBatch(body, r.Header.Get("Content-Type"))
	if errors.Is(err, ksync.ErrTooLarge) {
		s.fail(w, http.StatusRequestEntityTooLarge, ksync.CodeTooLarge, err.Error())
		return
	}
	if err != nil {
		s.fail(w, http.StatusBadRequest, ksync.CodeInvalid, "malformed batch")
		return
	}
	body = nil // the records keep what they need
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
	out := ksync.BatchResponse{Results: res}
	if b.Audit != nil {
		a, err := s.Store.RecordAuditHead(r.Context(), terminal, *b.Audit, s.Now())
		if err != nil {
			s.Log.Printf("audit head from %s: %v", terminal, err)
		} else {
			out.Audit = &a
			if a.Status != ksync.AuditOK {
				s.Log.Printf("ALARM: audit log of terminal %s: %s", terminal, a.Detail)
			}
		}
	}
	s.Log.Printf("batch from %s: %d records %v", terminal, len(res), counts)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) roster(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	_, _, release, ok := s.authenticate(w, r, false)
	defer release()
	if !ok {
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
	u.BackpayCutoffDay = s.BackpayCutoffDay
	writeJSON(w, http.StatusOK, u)
}

// receipt answers GET /v1/receipts/{code}?terminal=ID. Receipt codes are
// unique per terminal, not across terminals, so the terminal (printed on
// the receipt and inside its QR code) is part of the question: a lookup
// never answers with another terminal's record.
func (s *Server) receipt(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	code, err := certkiosk.ParseReceiptCode(r.PathValue("code"))
	if err != nil {
		s.fail(w, http.StatusBadRequest, ksync.CodeInvalid, "not a receipt code (XXXX-XXXX-C)")
		return
	}
	terminal := r.URL.Query().Get("terminal")
	if terminal == "" || len(terminal) > ksync.MaxTerminalIDBytes {
		s.fail(w, http.StatusBadRequest, ksync.CodeInvalid, "the terminal query parameter is required")
		return
	}
	st, err := s.Store.Receipt(r.Context(), terminal, string(code))
	if errors.Is(err, ErrNotFound) {
		s.fail(w, http.StatusNotFound, ksync.CodeNotFound, "no record of this terminal with this receipt code")
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
		"certkiosk_central_requests_total %d\ncertkiosk_central_rejected_total %d\n"+
		"certkiosk_central_rate_limited_total %d\ncertkiosk_central_busy_total %d\ncertkiosk_central_uploads_in_flight %d\n"+
		"certkiosk_central_audit_alarms %d\n",
		st.Records, st.Duplicates, st.Conflicts, st.Evidence, st.Terminals, st.Batches, s.requests.Load(), s.rejected.Load(),
		s.limited.Load(), s.busy.Load(), s.uploading.Load(), st.AuditAlarms)
}
