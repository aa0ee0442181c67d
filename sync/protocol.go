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

	// MaxSkew is how far a request's timestamp may be from the central's clock.
	MaxSkew = 5 * time.Minute
	// MaxBodyBytes caps a request body (a batch of 200 records with 20 KB
	// evidence is about 6 MB).
	MaxBodyBytes = 32 << 20
	// DefaultBatchRecords and DefaultBatchBytes bound one batch.
	DefaultBatchRecords = 200
	DefaultBatchBytes   = 16 << 20
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
	Evidence  []Evidence      `json:"evidence"`
}

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
}

// RosterUpdate answers GET /v1/roster?since=V: everything changed after
// version V, or (Full) the whole roster when V is 0 or unknown.
type RosterUpdate struct {
	Version  int64         `json:"version"`
	Full     bool          `json:"full"`
	Retirees []RosterEntry `json:"retirees"`
	Deleted  []string      `json:"deleted"`
}

// Acknowledged reports whether a status means the central has the record.
func Acknowledged(status string) bool { return status == StatusAccepted || status == StatusDuplicate }

// SigningString is what a request signature covers: method, path,
// timestamp, nonce and the SHA-256 of the body, one per line.
func SigningString(method, path, timestamp, nonce string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(strings.Join([]string{"certkiosk-v1", method, path, timestamp, nonce, hex.EncodeToString(sum[:])}, "\n"))
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
	return nil
}

// SignedRequest is a request's signature material, parsed.
type SignedRequest struct {
	Terminal  string
	Timestamp time.Time
	Nonce     string
	Signature []byte
	signing   []byte
}

// ParseSigned reads the signature headers of r with its body.
func ParseSigned(r *http.Request, body []byte) (SignedRequest, error) {
	s := SignedRequest{Terminal: r.Header.Get(HeaderTerminal), Nonce: r.Header.Get(HeaderNonce)}
	ts := r.Header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || s.Terminal == "" || len(s.Nonce) != 32 {
		return s, errors.New("missing or malformed signature headers")
	}
	if _, err := hex.DecodeString(s.Nonce); err != nil {
		return s, errors.New("malformed nonce")
	}
	s.Signature, err = base64.StdEncoding.DecodeString(r.Header.Get(HeaderSignature))
	if err != nil || len(s.Signature) != ed25519.SignatureSize {
		return s, errors.New("malformed signature")
	}
	s.Timestamp = time.Unix(sec, 0)
	s.signing = SigningString(r.Method, r.URL.RequestURI(), ts, s.Nonce, body)
	return s, nil
}

// Verify checks the signature with the terminal's public key.
func (s SignedRequest) Verify(pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, s.signing, s.Signature)
}
