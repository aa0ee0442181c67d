package sync

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"time"

	"certkiosk"
)

// HTTPError is a refusal from the central service.
type HTTPError struct {
	Status  int
	Code    string // one of the Code* constants
	Message string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("central answered %d %s: %s", e.Status, e.Code, e.Message)
}

// ErrorCode classifies the refusal for screens.
func (e *HTTPError) ErrorCode() string {
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return certkiosk.EUNAUTHORIZED
	case e.Code == CodeNotFound:
		return certkiosk.ENOTFOUND
	case Retryable(e):
		return certkiosk.EUNAVAILABLE
	}
	return certkiosk.EINVALID
}

// ErrorMsg says it for staff, by its key in the translations.
func (e *HTTPError) ErrorMsg() certkiosk.Msg {
	key := "error.sync.refused"
	switch {
	case e.Code == CodeRevoked:
		key = "error.sync.revoked"
	case e.Code == CodeUnknownTerminal:
		key = "error.sync.unknown_terminal"
	case e.Code == CodeBadToken:
		key = "error.sync.bad_token"
	case e.Code == CodeClockSkew:
		key = "error.sync.clock_skew"
	case e.Code == CodeBadSignature || e.Code == CodeReplayedNonce:
		key = "error.sync.bad_signature"
	case e.Code == CodeTooLarge:
		key = "error.sync.too_large"
	case Retryable(e):
		key = "error.sync.retry"
	}
	return certkiosk.Msg{Key: key}
}

// Retryable reports whether a failure is worth retrying later: network
// errors, timeouts, 5xx, 408 and 429 — and a replayed nonce, which means a
// copy of our request got there first (a fresh nonce fixes it, and batches
// are idempotent). Other refusals need a person.
func Retryable(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500 || he.Status == http.StatusRequestTimeout || he.Status == http.StatusTooManyRequests ||
			he.Code == CodeReplayedNonce
	}
	return err != nil && !errors.Is(err, context.Canceled)
}

// Client talks to the central service for one terminal.
type Client struct {
	BaseURL  string // e.g. https://central.example:8443
	Terminal string
	Key      ed25519.PrivateKey
	HTTP     *http.Client
	Now      func() time.Time
	// Pending, when set, counts the records waiting to be sent; signed
	// requests report it (and the program's version) to the central's
	// console in HeaderPending and HeaderVersion.
	Pending func() int
	// OnClock, when set, is told after every answer that carries the
	// central's clock (HeaderTime) how far it is ahead of this one.
	OnClock func(offset time.Duration)
}

// Headers a signed request carries for the central's terminals page. They
// are informative only: the central keeps them after the request passed
// its signature check.
const (
	HeaderVersion = "X-Certkiosk-Version"
	HeaderPending = "X-Certkiosk-Pending"
)

// NewHTTPClient returns an HTTP client for the central: TLS pinned to the
// certificate whose SPKI SHA-256 is pin (hex) when pin is set, plain HTTP
// allowed only when insecure is set.
func NewHTTPClient(pin string, insecure bool, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if pin != "" {
		tr.TLSClientConfig = &tls.Config{
			InsecureSkipVerify: true, // the pin replaces the CA check
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				if len(raw) == 0 {
					return errors.New("central sent no certificate")
				}
				if got := SPKIPin(raw[0]); got != pin {
					return fmt.Errorf("central certificate pin %s does not match the enrolled %s", got[:16], pin[:16])
				}
				return nil
			},
		}
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// SPKIPin is the hex SHA-256 of a DER certificate's public key info.
func SPKIPin(der []byte) string {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return ""
	}
	h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(h[:])
}

// CheckURL refuses plain HTTP unless explicitly allowed, and then only to
// a loopback address (tests): records never cross a network in clear.
func CheckURL(url string, insecure bool) error {
	switch {
	case strings.HasPrefix(url, "https://"):
		return nil
	case strings.HasPrefix(url, "http://") && insecure:
		u, err := neturl.Parse(url)
		if err != nil {
			return certkiosk.E(certkiosk.EINVALID, "error.sync.url", "central URL %q: %v", url, err)
		}
		if h := u.Hostname(); h != "localhost" {
			if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
				return certkiosk.E(certkiosk.EINVALID, "error.sync.http_loopback",
					"plain HTTP to %s: --insecure-http is for loopback addresses only", url)
			}
		}
		return nil
	case strings.HasPrefix(url, "http://"):
		return certkiosk.E(certkiosk.EINVALID, "error.sync.https",
			"plain HTTP to %s needs --insecure-http", url)
	}
	return certkiosk.E(certkiosk.EINVALID, "error.sync.url", "central URL %q", url)
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, sign bool, out any) error {
	return c.doType(ctx, method, path, "application/json", body, sign, out)
}

func (c *Client) doType(ctx context.Context, method, path, contentType string, body []byte, sign bool, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Content-Type", contentType)
	if sign {
		req.Header.Set(HeaderVersion, certkiosk.Version)
		if c.Pending != nil {
			req.Header.Set(HeaderPending, strconv.Itoa(c.Pending()))
		}
		now := certkiosk.SystemClock
		if c.Now != nil {
			now = c.Now
		}
		if err := Sign(req, c.Terminal, c.Key, body, now()); err != nil {
			return err
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &certkiosk.Error{Code: certkiosk.EUNAVAILABLE, Msg: certkiosk.Msg{Key: "error.sync.offline"},
			Detail: method + " " + path, Err: err}
	}
	defer resp.Body.Close()
	if ms, err := strconv.ParseInt(resp.Header.Get(HeaderTime), 10, 64); err == nil && c.OnClock != nil {
		now := certkiosk.SystemClock
		if c.Now != nil {
			now = c.Now
		}
		c.OnClock(time.UnixMilli(ms).Sub(now()))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var er ErrorResponse
		json.Unmarshal(data, &er)
		return &HTTPError{Status: resp.StatusCode, Code: er.Code, Message: er.Message}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: answer is not complete JSON: %w", method, path, err)
	}
	return nil
}

// Enroll registers pub with a one-time token.
func (c *Client) Enroll(ctx context.Context, token string, pub ed25519.PublicKey) (EnrollResponse, error) {
	body, _ := json.Marshal(EnrollRequest{Token: token, PublicKey: encodeKey(pub)})
	var out EnrollResponse
	err := c.do(ctx, http.MethodPost, PathEnroll, body, false, &out)
	return out, err
}

// SendBatch posts a batch; the answer has one result per record.
func (c *Client) SendBatch(ctx context.Context, b Batch) (BatchResponse, error) {
	body, err := EncodeBatch(b)
	if err != nil {
		return BatchResponse{}, err
	}
	ids := make([]string, len(b.Records))
	for i, r := range b.Records {
		ids[i] = r.ID
	}
	return c.SendEncoded(ctx, body, ids)
}

// SendEncoded posts an already framed batch of the records ids, in order.
func (c *Client) SendEncoded(ctx context.Context, body []byte, ids []string) (BatchResponse, error) {
	var out BatchResponse
	if err := c.doType(ctx, http.MethodPost, PathBatches, ContentTypeBatch, body, true, &out); err != nil {
		return out, err
	}
	if len(out.Results) != len(ids) {
		return out, fmt.Errorf("central answered %d results for %d records", len(out.Results), len(ids))
	}
	for i, r := range out.Results {
		if r.ID != ids[i] {
			return out, fmt.Errorf("central answered for %s in place of %s", r.ID, ids[i])
		}
	}
	return out, nil
}

// Roster fetches the roster changes after version since.
func (c *Client) Roster(ctx context.Context, since int64) (RosterUpdate, error) {
	var out RosterUpdate
	err := c.do(ctx, http.MethodGet, PathRoster+"?since="+strconv.FormatInt(since, 10), nil, true, &out)
	return out, err
}
