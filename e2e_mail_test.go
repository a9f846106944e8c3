package usermgmt_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/notify"
)

// A mail server that stops answering must not stall requests: the
// forgot-password answer takes the same time, for existing and unknown
// accounts, however much mail is stuck.
func TestE2EStalledMailerDoesNotStallRequests(t *testing.T) {
	release := make(chan struct{})
	stuck := notify.MailerFunc(func(ctx context.Context, _ notify.Message) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	e := newE2E(t, nil, usermgmt.WithMailer(stuck), usermgmt.WithRateLimits(httpapi.Limits{}))
	t.Cleanup(func() { close(release) }) // runs before the Manager closes
	e.register(t, "ada@example.com")

	done := make(chan []int, 1)
	go func() {
		var statuses []int
		// Far more than the 16 sends that may run at once.
		for i := range 60 {
			email := "ada@example.com"
			if i%2 == 1 {
				email = fmt.Sprintf("nobody%d@example.com", i)
			}
			r, err := e.send(http.MethodPost, "/auth/forgot-password", map[string]string{"email": email})
			if err != nil {
				statuses = append(statuses, -1)
				continue
			}
			statuses = append(statuses, r.Status)
		}
		done <- statuses
	}()
	select {
	case statuses := <-done:
		for i, s := range statuses {
			assert.Equal(t, http.StatusAccepted, s, "request %d", i)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("forgot-password stalled behind the stuck mailer")
	}
}
