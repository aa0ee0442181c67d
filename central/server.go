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
	// Clients tells client addresses (which rate limits and upload slots
	// count by): the TCP peer, or behind a trusted reverse proxy the
	// address it forwards.
	Clients ClientAddrs
	// MaxPhotoFetches bounds the reference photos one terminal fetches in
	// 24 hours (default MaxPhotoFetchesPerDay).
	MaxPhotoFetches int
	// MinBodyRate is the slowest a body may arrive, in bytes a second
	// (default DefaultMinBodyRate); a slower one loses its slot.
	MinBodyRate int
	// BackpayCutoffDay is the office's back-pay cut-off day, pushed to the
	// terminals with every roster download (0: the terminals keep their
	// own, certkiosk.DefaultBackpayCutoffDay unless set).
	BackpayCutoffDay int

	requests, rejected, limited, busy atomic.Int64
	uploading                         atomic.Int64
	uploads                           chan struct{}
	fullRosters                       chan struct{}
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

// MaxFullRosters is how many full roster downloads the central serves at
// once; past it a terminal asking for one is answered 503 busy.
const MaxFullRosters = 2

// DefaultMaxUploads is how many batch bodies the central holds at once,
// and DefaultMaxUploadsPerAddress how many of them one address may hold.
const (
	DefaultMaxUploads           = 4
	DefaultMaxUploadsPerAddress = 2
)

// Handler returns the HTTP routes.
func (s *Server) Handler() http.Handler {
	if s.Now == nil {
		s.Now = certkiosk.SystemClock
	}
	if s.Log == nil {
		s.Log = log.New(io.Discard, "", 0)
	} else if s.Log.Writer() != io.Discard {
		s.Log = log.New(MaskingWriter(s.Log.Writer()), s.Log.Prefix(), s.Log.Flags())
	}
	if s.MaxUploads <= 0 {
		s.MaxUploads = DefaultMaxUploads
	}
	if s.MaxUploadsPerAddress <= 0 {
		s.MaxUploadsPerAddress = DefaultMaxUploadsPerAddress
	}
	if s.MaxPhotoFetches <= 0 {
		s.MaxPhotoFetches = MaxPhotoFetchesPerDay
	}
	if s.MinBodyRate <= 0 {
		s.MinBodyRate = DefaultMinBodyRate
	}
	s.uploads = make(chan struct{}, s.MaxUploads)
	s.fullRosters = make(chan struct{}, MaxFullRosters)
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every answer carries the central's clock, which the kiosks set
		// their certification times against (store.MaxClockOffset).
		w.Header().Set(ksync.HeaderTime, strconv.FormatInt(s.Now().UnixMilli(), 10))
		mux.ServeHTTP(w, r)
	})
}

// open wraps an unauthenticated endpoint: every call spends a token of
// the caller's address.
func (s *Server) open(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.limiter.take(s.Clients.Addr(r)) {
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
	if errors.Is(err, ErrRevokedKey) {
		s.fail(w, http.StatusForbidden, ksync.CodeRevoked, "this is the key the terminal had when it was revoked: enroll with a new key")
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
// unknown or unenrolled terminal, a wrong signature, a body that does not
// match its signed digest. Unsigned callers learn nothing about which
// terminals exist. It spends a token of the address; an address with none
// left is answered 429.
func (s *Server) notAuthenticated(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		// Not a byte of the body is read: drop the connection after the
		// answer rather than wait for the rest of it.
		w.Header().Set("Connection", "close")
	}
	if !s.limiter.take(s.Clients.Addr(r)) {
		s.tooMany(w)
		return
	}
	s.fail(w, http.StatusUnauthorized, ksync.CodeBadSignature, "request not authenticated")
}

// noKey stands in for an unknown terminal's key, so that a request naming
// an unknown terminal costs the same signature check as one naming an
// enrolled terminal with a wrong signature (the two are answered alike).
var noKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)

// authenticate checks a signed request and returns its terminal and body,
// or answers the request itself and returns ok false. The signature is
// verified from the headers alone (they carry the body's signed digest),
// so a request that is not a terminal's is answered at once, spends a
// rate-limit token and never holds an upload slot. Only then is a body
// (withBody) read, within an upload slot, up to MaxBodyBytes and at no
// less than MinBodyRate, and checked against its digest. release frees
// the slot.
//
// An address whose tokens are spent is still served when its request is
// signed by a terminal: a flood of bad requests from an address (or a
// proxy) shared with real terminals never locks them out.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, withBody bool) (terminal string, body []byte, release func(), ok bool) {
	release = func() {}
	addr := s.Clients.Addr(r)
	deny := func() (string, []byte, func(), bool) {
		s.notAuthenticated(w, r)
		return "", nil, func() {}, false
	}
	sr, err := ksync.ParseSignedHeaders(r)
	if err != nil {
		return deny()
	}
	now := s.Now()
	if d := now.Sub(sr.Timestamp); d > ksync.MaxSkew || d < -ksync.MaxSkew {
		if !s.limiter.take(addr) {
			s.tooMany(w)
			return "", nil, release, false
		}
		s.fail(w, http.StatusUnauthorized, ksync.CodeClockSkew, fmt.Sprintf("clock differs from the central's by %s", d.Round(time.Second)))
		return "", nil, release, false
	}
	if withBody {
		if !sr.SetDigest() {
			return deny() // a body's digest must be signed in the headers
		}
	} else {
		sr.SetBody(nil)
	}
	t, err := s.Store.Terminal(r.Context(), sr.Terminal)
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.Log.Printf("authenticate: %v", err)
		s.fail(w, http.StatusServiceUnavailable, ksync.CodeInternal, "cannot check the terminal; retry")
		return "", nil, release, false
	}
	key := t.PublicKey
	if err != nil || key == nil {
		key = noKey
	}
	if !sr.Verify(key) || err != nil || t.PublicKey == nil {
		return deny()
	}
	if t.Revoked {
		s.fail(w, http.StatusForbidden, ksync.CodeRevoked, "terminal revoked")
		return "", nil, release, false
	}
	if withBody && r.ContentLength > ksync.MaxBodyBytes {
		s.fail(w, http.StatusRequestEntityTooLarge, ksync.CodeTooLarge, fmt.Sprintf("body longer than %d bytes", ksync.MaxBodyBytes))
		return "", nil, release, false
	}
	if err := s.Store.UseNonce(r.Context(), t.ID, sr.Nonce, now); errors.Is(err, ErrNonceReuse) {
		s.fail(w, http.StatusUnauthorized, ksync.CodeReplayedNonce, "nonce already used")
		return "", nil, release, false
	} else if err != nil {
		s.Log.Printf("nonce: %v", err)
		s.fail(w, http.StatusServiceUnavailable, ksync.CodeInternal, "cannot record the nonce")
		return "", nil, release, false
	}
	if !withBody {
		return t.ID, nil, release, true
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
	if !s.takeAddr(terminalKey(t.ID)) {
		s.releaseAddr(addr)
		return busy()
	}
	select {
	case s.uploads <- struct{}{}:
	default:
		s.releaseAddr(addr)
		s.releaseAddr(terminalKey(t.ID))
		return busy()
	}
	s.uploading.Add(1)
	release = func() {
		s.uploading.Add(-1)
		<-s.uploads
		s.releaseAddr(addr)
		s.releaseAddr(terminalKey(t.ID))
	}
	body, err = s.readBody(w, r)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		release()
		s.fail(w, http.StatusRequestEntityTooLarge, ksync.CodeTooLarge, fmt.Sprintf("body longer than %d bytes", ksync.MaxBodyBytes))
		return "", nil, func() {}, false
	case errors.Is(err, errTooSlow):
		release()
		s.fail(w, http.StatusRequestTimeout, ksync.CodeInvalid, "body arrived too slowly")
		return "", nil, func() {}, false
	case err != nil:
		release()
		s.fail(w, http.StatusBadRequest, ksync.CodeInvalid, "body unreadable")
		return "", nil, func() {}, false
	}
	if ksync.BodyDigest(body) != sr.Digest {
		release()
		return deny()
	}
	return t.ID, body, release, true
}

// terminalKey is a terminal's key in the map of bodies in flight, apart
// from client addresses: a terminal holds at most MaxUploadsPerAddress.
func terminalKey(id string) string { return "terminal " + id }

// Minimum body rate: a body must bring at least MinBodyRate bytes a
// second, measured over every bodyRateWindow, or its read is cut short.
const (
	DefaultMinBodyRate = 4 << 10
	bodyRateWindow     = 2 * time.Second
)

var errTooSlow = errors.New("body arrived below the minimum rate")

// readBody reads a body of at most MaxBodyBytes: into one buffer of its
// Content-Length when that is given (net/http holds the body to it), else
// (chunked) growing as it comes. A body that brings less than MinBodyRate
// over a window is cut off (errTooSlow): a slot is never held by a trickle.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rd := &countingReader{r: http.MaxBytesReader(w, r.Body, ksync.MaxBodyBytes)}
	rc := http.NewResponseController(w)
	done := make(chan struct{})
	var slow atomic.Bool
	go func() {
		t := time.NewTicker(bodyRateWindow)
		defer t.Stop()
		var last int64
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n := rd.n.Load()
				if n-last < int64(s.MinBodyRate)*int64(bodyRateWindow/time.Second) {
					slow.Store(true)
					rc.SetReadDeadline(time.Unix(1, 0)) // in the past: the read fails now
					return
				}
				last = n
			}
		}
	}()
	defer close(done)
	var buf []byte
	var err error
	if r.ContentLength < 0 {
		buf, err = io.ReadAll(rd)
	} else {
		buf = make([]byte, r.ContentLength)
		_, err = io.ReadFull(rd, buf)
	}
	if err != nil {
		if slow.Load() {
			return nil, errTooSlow
		}
		return nil, err
	}
	return buf, nil
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
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
	if since <= 0 {
		// A full roster is the one expensive read: only MaxFullRosters at
		// once (N5).
		select {
		case s.fullRosters <- struct{}{}:
			defer func() { <-s.fullRosters }()
		default:
			s.busy.Add(1)
			w.Header().Set("Retry-After", "30")
			s.fail(w, http.StatusServiceUnavailable, ksync.CodeBusy, "other terminals are downloading the whole roster; retry later")
			return
		}
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
