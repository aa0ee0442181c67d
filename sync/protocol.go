package sync

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Protocol v1 (docs/sync-protocol.md). JSON over HTTPS; every request
// after enrollment is signed with the terminal's Ed25519 key.
const (
	PathEnroll   = "/v1/enroll"
	PathBatches  = "/v1/batches"
	PathReceipts = "/v1/receipts/" // + receipt code
	PathRoster   = "/v1/roster"    // ?since=VERSION
	PathHealth   = "/healthz"
	PathMetrics  = "/metrics"

	HeaderTerminal  = "X-Certkiosk-Terminal"
	HeaderTimestamp = "X-Certkiosk-Timestamp" // Unix seconds
	HeaderNonce     = "X-Certkiosk-Nonce"     // 16 random bytes, hex
	HeaderSignature = "X-Certkiosk-Signature" // base64 Ed25519 signature
	// HeaderContentSHA256 carries the hex SHA-256 of the body, which the
	// signature covers already: with it the central verifies a request's
	// signature from its headers alone, before it reads a byte of the body
	// or gives it an upload slot, and then checks the body against it. A
	// request with a body must carry it.
	HeaderContentSHA256 = "X-Certkiosk-Content-SHA256"
	// HeaderTime is the central's clock on every answer (Unix
	// milliseconds): the kiosk learns from it how far its own clock is off.
	HeaderTime = "X-Certkiosk-Time"

	// MaxSkew is how far a request's timestamp may be from the central's clock.
	MaxSkew = 5 * time.Minute
	// DefaultBatchRecords and DefaultBatchBytes bound the batches a kiosk
	// makes (evidence bytes; the body stays under MaxBodyBytes).
	DefaultBatchRecords = MaxBatchRecords
	DefaultBatchBytes   = 8 << 20
)

// Error codes in error responses, one for each way a request is refused.
const (
	CodeBadSignature    = "bad_signature"
	CodeUnknownTerminal = "unknown_terminal"
	CodeRevoked         = "revoked_terminal"
	CodeClockSkew       = "clock_skew"
	CodeReplayedNonce   = "replayed_nonce"
	CodeBadToken        = "bad_token"
	CodeInvalid         = "invalid"
	CodeTooLarge        = "too_large"
	CodeInternal        = "internal"
	CodeBusy            = "busy"         // 503: all upload slots taken; retry after Retry-After
	CodeRateLimited     = "rate_limited" // 429: too many requests from this address
	CodeNotFound        = "not_found"
)

// ErrorResponse is the body of every non-2xx answer.
type ErrorResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// EnrollRequest registers a terminal with a one-time token.
type EnrollRequest struct {
	Token     string `json:"token"`
	PublicKey string `json:"public_key"` // base64 Ed25519
}

// EnrollResponse tells the terminal who it is and how to reach the central.
type EnrollResponse struct {
	TerminalID   string `json:"terminal_id"`
	Name         string `json:"name"`
	AgeRecipient string `json:"age_recipient"` // evidence is encrypted to this
	SigningKey   string `json:"signing_key"`   // base64 Ed25519 public key of the central
}

// Evidence travels as the exact age file the kiosk wrote.
type Evidence struct {
	Kind       string `json:"kind"`
	SHA256     string `json:"sha256"`               // hex, of the ciphertext
	Size       int    `json:"size,omitempty"`       // framed batches: bytes after the header
	Ciphertext []byte `json:"ciphertext,omitempty"` // JSON batches and bundles: base64
}

// Record is one certification on the wire. The identity number travels
// whole (the central needs it) inside TLS.
type Record struct {
	ID        string          `json:"id"`
	RetireeID string          `json:"retiree_id"`
	StaffID   string          `json:"staff_id"`
	Terminal  string          `json:"terminal"`
	Method    string          `json:"method"`
	Challenge string          `json:"challenge"`
	Verdict   string          `json:"verdict"`
	Reason    string          `json:"reason"`
	Metrics   json.RawMessage `json:"metrics"`
	Started   time.Time       `json:"started_at"`
	Ended     time.Time       `json:"ended_at"`
	Attempt   int             `json:"attempt"`
	Receipt   string          `json:"receipt"`
	Synthetic bool            `json:"synthetic"`
	// FrameSource says where the frames judged came from: camera, file
	// (a video file), demo (the demo clip) or none (a manual review made
	// without a check). Empty on records saved before the field existed.
	FrameSource string `json:"frame_source,omitempty"`
	// SpeechCheck says which read-digits check judged: lips (the kiosk
	// had no microphone) or lips_voice. Empty for blink records and those
	// saved before the field existed.
	SpeechCheck string `json:"speech_check,omitempty"`
	// PhotoMatch is staff's answer to 「本人与照片一致」 when a reference
	// photo was shown beside the live face; absent when none was.
	PhotoMatch *bool      `json:"photo_match,omitempty"`
	Evidence   []Evidence `json:"evidence"`
}

// Frame sources a record can carry. The central stores non-synthetic
// records only from a camera (or a manual review); see docs.
const (
	FrameCamera = "camera"
	FrameFile   = "file"
	FrameDemo   = "demo"
	FrameNone   = "none"
)

// ContentHash identifies a record's content for idempotency: the same ID
// with the same hash is a duplicate, with another hash a conflict. It
// covers every field and the evidence digests, in a fixed order.
func (r Record) ContentHash() string {
	h := sha256.New()
	var metrics any
	json.Unmarshal(r.Metrics, &metrics) // canonical form: re-encoded, keys sorted
	m, _ := json.Marshal(metrics)
	parts := []string{r.ID, r.RetireeID, r.StaffID, r.Terminal, r.Method, r.Challenge, r.Verdict, r.Reason,
		string(m), r.Started.UTC().Format(time.RFC3339Nano), r.Ended.UTC().Format(time.RFC3339Nano),
		strconv.Itoa(r.Attempt), r.Receipt, strconv.FormatBool(r.Synthetic)}
	if r.FrameSource != "" { // records from before the field keep their hash
		parts = append(parts, "frame_source="+r.FrameSource)
	}
	if r.SpeechCheck != "" { // likewise
		parts = append(parts, "speech_check="+r.SpeechCheck)
	}
	if r.PhotoMatch != nil { // likewise
		parts = append(parts, "photo_match="+strconv.FormatBool(*r.PhotoMatch))
	}
	for _, e := range r.Evidence {
		parts = append(parts, e.Kind, e.SHA256)
	}
	b, _ := json.Marshal(parts)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// Batch is what a terminal sends.
type Batch struct {
	Records []Record `json:"records"`
	// Audit is the terminal's audit log head when the batch was made, with
	// its entry at the central's last acknowledged head (the anchor).
	Audit *AuditHead `json:"audit,omitempty"`
}

// AuditHead ties a terminal's hash-chained audit log to what the central
// saw before: Seq/Hash are the newest entry; Anchors are the terminal's
// entries, as they are now, at the heads it sent before. The central
// checks the one at the head it last acknowledged: a history rewritten
// since no longer has that hash at that position.
type AuditHead struct {
	Seq     int64         `json:"seq"`
	Hash    string        `json:"hash"`
	Anchors []AuditAnchor `json:"anchors"`
}

// AuditAnchor is the terminal's audit entry Seq as it is now: the heads it
// sent before (the last one the central acknowledged and those sent since).
type AuditAnchor struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// MaxAuditAnchors caps the anchors of one audit head.
const MaxAuditAnchors = 16

// Audit statuses in a batch answer.
const (
	AuditOK       = "ok"       // the head extends the anchored history; it is now the anchor
	AuditMismatch = "mismatch" // the terminal's history was rewritten or rolled back: an alarm is raised
)

// AuditAnswer is the central's view of the audit head a batch carried.
type AuditAnswer struct {
	Status string `json:"status"`
	Seq    int64  `json:"seq"`  // the head the central now holds for this terminal
	Hash   string `json:"hash"` //
	Detail string `json:"detail,omitempty"`
}

// Record statuses in a batch response.
const (
	StatusAccepted  = "accepted"  // new, stored
	StatusDuplicate = "duplicate" // same ID, same content: already stored
	StatusConflict  = "conflict"  // same ID, different content: refused, kept aside
	StatusInvalid   = "invalid"   // malformed record: refused
)

// RecordResult is the central's answer for one record. Code is the HTTP
// status the record would have had on its own: 201 accepted, 200
// duplicate, 409 conflict, 422 invalid.
type RecordResult struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Code   int    `json:"code"`
	Error  string `json:"error,omitempty"`
}

// StatusCode maps a record status to its HTTP equivalent.
func StatusCode(status string) int {
	switch status {
	case StatusAccepted:
		return 201
	case StatusDuplicate:
		return 200
	case StatusConflict:
		return 409
	}
	return 422
}

// BatchResponse answers a batch, one result per record, in order.
type BatchResponse struct {
	Results []RecordResult `json:"results"`
	Audit   *AuditAnswer   `json:"audit,omitempty"`
}

// RosterEntry is one retiree as the central distributes the roster.
type RosterEntry struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Female   bool   `json:"female"`
	Birth    string `json:"birth"`
	Category string `json:"category"`
	LastCert string `json:"last_cert"`
	Phone    string `json:"phone"`
	Address  string `json:"address"`
	// Status and SuspendedSince are the central's word on the pension
	// (in_time, due_soon, overdue, suspended, unknown; YYYY-MM), when it
	// has one; a terminal computes the standing itself without. A
	// suspension here is authoritative until the terminal records a pass.
	Status         string `json:"status,omitempty"`
	SuspendedSince string `json:"suspended_since,omitempty"`
	// PhotoSHA256 is the hex SHA-256 of the retiree's reference photo
	// (a JPEG the office imported), "" when there is none; the terminal
	// fetches it from PathPhotos when it does not hold that photo.
	PhotoSHA256 string `json:"photo_sha256,omitempty"`
}

// RosterUpdate answers GET /v1/roster?since=V: everything changed after
// version V, or (Full) the whole roster when V is 0 or unknown.
type RosterUpdate struct {
	Version  int64         `json:"version"`
	Full     bool          `json:"full"`
	Retirees []RosterEntry `json:"retirees"`
	Deleted  []string      `json:"deleted"`
	// BackpayCutoffDay is the office's back-pay cut-off day (1–31), which
	// the terminal adopts; 0 or absent leaves the terminal's setting.
	BackpayCutoffDay int `json:"backpay_cutoff_day,omitempty"`
}

// Acknowledged reports whether a status means the central has the record.
func Acknowledged(status string) bool { return status == StatusAccepted || status == StatusDuplicate }

// SigningString is what a request signature covers: method, path,
// timestamp, nonce and the SHA-256 of the body, one per line.
func SigningString(method, path, timestamp, nonce string, body []byte) []byte {
	return signingString(method, path, timestamp, nonce, BodyDigest(body))
}

// BodyDigest is the hex SHA-256 of a body, as the signature covers it and
// HeaderContentSHA256 carries it.
func BodyDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func signingString(method, path, timestamp, nonce, digest string) []byte {
	return []byte(strings.Join([]string{"certkiosk-v1", method, path, timestamp, nonce, digest}, "\n"))
}

// Sign adds the terminal, timestamp, nonce and signature headers.
func Sign(req *http.Request, terminal string, key ed25519.PrivateKey, body []byte, now time.Time) error {
	var n [16]byte
	if _, err := rand.Read(n[:]); err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := hex.EncodeToString(n[:])
	sig := ed25519.Sign(key, SigningString(req.Method, req.URL.RequestURI(), ts, nonce, body))
	req.Header.Set(HeaderTerminal, terminal)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	req.Header.Set(HeaderContentSHA256, BodyDigest(body))
	return nil
}

// SignedRequest is a request's signature material, parsed.
type SignedRequest struct {
	Terminal  string
	Timestamp time.Time
	Nonce     string
	Signature []byte
	// Digest is the body's digest the headers claim (HeaderContentSHA256),
	// "" when they claim none.
	Digest string

	method, path, ts string
	signing          []byte
}

// MaxTerminalIDBytes caps the terminal header.
const MaxTerminalIDBytes = 64

// ParseSignedHeaders reads and checks the form of the signature headers,
// without the body: the central does this, and checks the clock and the
// terminal, before it reads a byte of the body.
func ParseSignedHeaders(r *http.Request) (SignedRequest, error) {
	s := SignedRequest{Terminal: r.Header.Get(HeaderTerminal), Nonce: r.Header.Get(HeaderNonce)}
	ts := r.Header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || s.Terminal == "" || len(s.Terminal) > MaxTerminalIDBytes || len(s.Nonce) != 32 {
		return s, errors.New("missing or malformed signature headers")
	}
	for _, c := range []byte(s.Terminal) {
		if c <= ' ' || c >= 0x7f {
			return s, errors.New("malformed terminal header")
		}
	}
	if _, err := hex.DecodeString(s.Nonce); err != nil {
		return s, errors.New("malformed nonce")
	}
	s.Signature, err = base64.StdEncoding.DecodeString(r.Header.Get(HeaderSignature))
	if err != nil || len(s.Signature) != ed25519.SignatureSize {
		return s, errors.New("malformed signature")
	}
	if d := r.Header.Get(HeaderContentSHA256); d != "" {
		if len(d) != 64 || strings.ToLower(d) != d {
			return s, errors.New("malformed content digest")
		}
		if _, err := hex.DecodeString(d); err != nil {
			return s, errors.New("malformed content digest")
		}
		s.Digest = d
	}
	s.Timestamp = time.Unix(sec, 0)
	s.method, s.path, s.ts = r.Method, r.URL.RequestURI(), ts
	return s, nil
}

// ParseSigned reads the signature headers of r with its body.
func ParseSigned(r *http.Request, body []byte) (SignedRequest, error) {
	s, err := ParseSignedHeaders(r)
	if err != nil {
		return s, err
	}
	s.SetBody(body)
	return s, nil
}

// SetBody gives the body the signature must cover.
func (s *SignedRequest) SetBody(body []byte) {
	s.signing = SigningString(s.method, s.path, s.ts, s.Nonce, body)
}

// SetDigest makes the signature cover the body digest the headers claim,
// so that it can be verified before the body is read; the body must then
// be checked against s.Digest. False when the headers claim none.
func (s *SignedRequest) SetDigest() bool {
	if s.Digest == "" {
		return false
	}
	s.signing = signingString(s.method, s.path, s.ts, s.Nonce, s.Digest)
	return true
}

// Verify checks the signature with the terminal's public key.
func (s SignedRequest) Verify(pub ed25519.PublicKey) bool {
	return s.signing != nil && !SmallOrderKey(pub) && ed25519.Verify(pub, s.signing, s.Signature)
}
