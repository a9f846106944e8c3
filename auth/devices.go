package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"regexp"

	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// versionRE matches the version numbers in a user agent ("126.0.6478.61",
// "10_15_7"), which change with every browser or system update.
var versionRE = regexp.MustCompile(`[0-9]+([._][0-9]+)*`)

// deviceHash identifies the device a sign-in comes from, for the "new
// device" notice: the X-Device-Fingerprint header when the client sends
// one (the client's own stable device id), else the user agent without its
// version numbers (browser and system family: an update is not a new
// device). The IP is left out: it changes with every network. Only the
// hash is stored.
func deviceHash(fingerprint, userAgent string) string {
	key := "fp\x00" + fingerprint
	if fingerprint == "" {
		key = "ua\x00" + versionRE.ReplaceAllString(userAgent, "")
	}
	h := sha256.Sum256([]byte("usermgmt/device\x00" + key))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// rememberDevice records the session's device inside tx and, when the
// user had signed in from other devices but never from this one, creates
// the in-app notice and queues the security email, both in tx. A user's
// very first device is not news.
func (s *Service) rememberDevice(ctx context.Context, tx store.Repos, u *store.User, sess *store.Session, fingerprint string) error {
	isNew, hadOthers, err := tx.Sessions().RememberDevice(ctx, u.ID, deviceHash(fingerprint, sess.UserAgent), s.now())
	if err != nil || !isNew || !hadOthers {
		return err
	}
	n := notify.NewDeviceNotice(sess.DeviceName, s.now())
	if err := s.inAppNotice(ctx, tx, u.ID, n); err != nil {
		return err
	}
	return s.mailNotice(ctx, tx, u, n)
}

// inAppNotice creates n for the user in tx unless they turned in-app
// notices off.
func (s *Service) inAppNotice(ctx context.Context, tx store.Repos, userID string, n notify.Notice) error {
	_, err := notify.NewInApp(s.cfg.Now).Notify(ctx, tx, userID, n)
	return err
}

// mailNotice queues n in tx as a security email when the user keeps
// security alerts on; the outbox delivers it after the commit.
func (s *Service) mailNotice(ctx context.Context, tx store.Repos, u *store.User, n notify.Notice) error {
	if !u.Preferences.NotifySecurity {
		return nil
	}
	data := map[string]any{"Title": n.Title, "Body": n.Body}
	return notify.EnqueueTemplate(ctx, tx, s.cfg.Templates, notify.TemplateSecurityNotice, u.ID, u.Email, data, s.now())
}
