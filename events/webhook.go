package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers (https://www.standardwebhooks.com).
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// secretPrefix starts a Standard Webhooks secret: "whsec_" and the key in
// base64.
const secretPrefix = "whsec_"

// DefaultWebhookTimeout bounds one POST of a webhook.
const DefaultWebhookTimeout = 10 * time.Second

// DefaultTolerance is how far a webhook's timestamp may be from the
// receiver's clock before Verify refuses it as a replay.
const DefaultTolerance = 5 * time.Minute

// ErrInvalidSignature is matched by Verify's error for a request that is
// not signed with the secret, or whose timestamp is missing or too far
// from now (a replay).
var ErrInvalidSignature = errors.New("events: invalid webhook signature")

// WebhookOptions tune a webhook. Zero values take the defaults.
type WebhookOptions struct {
	// Client sends the requests. Default: an http.Client with Timeout
	// that never follows redirects (a redirect is a failed delivery).
	Client *http.Client
	// Timeout bounds one POST. Default: DefaultWebhookTimeout.
	Timeout time.Duration
	// Now stamps the requests. Default: time.Now (receivers compare the
	// timestamp with their own clock).
	Now func() time.Time
}

// Webhook is a Handler that POSTs each event as JSON (Event.MarshalJSON)
// to a URL, signed in the Standard Webhooks format: the headers
// webhook-id (the event's ID, the same on every redelivery, for the
// receiver to deduplicate), webhook-timestamp (Unix seconds) and
// webhook-signature ("v1," and the base64 HMAC-SHA256 of
// "id.timestamp.body" with the secret's key). A response other than 2xx,
// a redirect or a timeout fails the delivery, which the outbox retries
// with backoff.
type Webhook struct {
	url    string
	key    []byte
	client *http.Client
	now    func() time.Time
}

var _ Handler = (*Webhook)(nil)

// NewWebhook returns a Webhook posting to rawURL (http or https), signed
// with secret ("whsec_" and a base64 key of at least 24 bytes, as
// Standard Webhooks tools generate).
func NewWebhook(rawURL, secret string, opts WebhookOptions) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("events: webhook URL %q is not an absolute http or https URL", rawURL)
	}
	key, err := decodeSecret(secret)
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultWebhookTimeout
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: opts.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Webhook{url: u.String(), key: key, client: opts.Client, now: opts.Now}, nil
}

func decodeSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || !strings.HasPrefix(secret, secretPrefix) || len(key) < 24 {
		return nil, errors.New(`events: webhook secret must be "whsec_" and a base64 key of at least 24 bytes`)
	}
	return key, nil
}

// HandleEvent POSTs e.
func (w *Webhook) HandleEvent(ctx context.Context, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("events: encode webhook body: %w", err)
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderWebhookID, e.ID)
	req.Header.Set(HeaderWebhookTimestamp, ts)
	req.Header.Set(HeaderWebhookSignature, "v1,"+sign(w.key, e.ID, ts, body))
	res, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("events: webhook: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("events: webhook answered %d", res.StatusCode)
	}
	return nil
}

func sign(key []byte, id, ts string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks, for a receiver, that a webhook request with header h and
// body was signed with secret and stamped within tolerance of now
// (DefaultTolerance when tolerance is 0). It accepts any of the
// space-separated "v1," signatures of the header (senders rotating
// secrets send several), compares in constant time, and returns an error
// matching ErrInvalidSignature otherwise. Receivers still deduplicate on
// webhook-id: a replay inside the tolerance verifies.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := decodeSecret(secret)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	id, ts := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || err != nil {
		return fmt.Errorf("%w: missing id or timestamp", ErrInvalidSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp outside the tolerance", ErrInvalidSignature)
	}
	want := []byte(sign(key, id, ts, body))
	for _, s := range strings.Fields(h.Get(HeaderWebhookSignature)) {
		if v, sig, ok := strings.Cut(s, ","); ok && v == "v1" && hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no signature matches", ErrInvalidSignature)
}
