package avatars_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/avatars"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/store"
)

// put parses a signed URL the way the PUT route does.
func put(t *testing.T, signed string, contentType string) avatars.SignedPut {
	t.Helper()
	u, err := url.Parse(signed)
	require.NoError(t, err)
	return avatars.SignedPut{ObjectID: u.Path[strings.LastIndex(u.Path, "/")+1:], Expires: u.Query().Get("expires"),
		Signature: u.Query().Get("signature"), ContentType: contentType}
}

func TestSignUploadRefusals(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		cases := []struct {
			name        string
			ctx         context.Context
			contentType string
			length      int64
			want        *store.Error
		}{
			{"no actor", context.Background(), "image/png", 100, store.ErrUnauthenticated},
			{"system actor: whose avatar?", store.NewContextWithActor(context.Background(), store.SystemActor), "image/png", 100, store.ErrUnauthenticated},
			{"not an image", e.ctx, "text/html", 100, store.ErrUnsupportedMediaType},
			{"svg", e.ctx, "image/svg+xml", 100, store.ErrUnsupportedMediaType},
			{"over 5 MiB", e.ctx, "image/jpeg", 5<<20 + 1, store.ErrPayloadTooLarge},
			{"zero length", e.ctx, "image/jpeg", 0, store.ErrValidation},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.SignUpload(tc.ctx, tc.contentType, tc.length)
				assert.ErrorIs(t, err, tc.want)
			})
		}
	})
}

func TestSignedUpload(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		img := testkit.JPEGWithEXIF(300, 300)
		s, err := e.svc.SignUpload(e.ctx, "image/jpeg", int64(len(img)))
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(s.URL, "https://app.example.com/api/v1/upload/avatar/"+s.ObjectID+"?"), s.URL)
		assert.Equal(t, e.clock.Now().Add(15*time.Minute), s.ExpiresAt)
		p := put(t, s.URL, "image/jpeg")

		t.Run("tampered", func(t *testing.T) {
			for name, bad := range map[string]avatars.SignedPut{
				"signature":    {ObjectID: p.ObjectID, Expires: p.Expires, Signature: strings.Repeat("A", len(p.Signature)), ContentType: p.ContentType},
				"no signature": {ObjectID: p.ObjectID, Expires: p.Expires, ContentType: p.ContentType},
				"expiry moved": {ObjectID: p.ObjectID, Expires: p.Expires + "0", Signature: p.Signature, ContentType: p.ContentType},
				"content type": {ObjectID: p.ObjectID, Expires: p.Expires, Signature: p.Signature, ContentType: "image/png"},
				"object":       {ObjectID: "0192b3c4-0000-4000-8000-000000000000", Expires: p.Expires, Signature: p.Signature, ContentType: p.ContentType},
				"not an id":    {ObjectID: "../x", Expires: p.Expires, Signature: p.Signature, ContentType: p.ContentType},
			} {
				_, err := e.svc.PutSigned(context.Background(), bad, bytes.NewReader(img))
				assert.ErrorIs(t, err, store.ErrUnauthenticated, name)
			}
			assert.Empty(t, e.objects(t))
		})

		t.Run("larger than signed", func(t *testing.T) {
			small, err := e.svc.SignUpload(e.ctx, "image/jpeg", 100)
			require.NoError(t, err)
			_, err = e.svc.PutSigned(context.Background(), put(t, small.URL, "image/jpeg"), bytes.NewReader(img))
			assert.ErrorIs(t, err, store.ErrPayloadTooLarge)
		})

		t.Run("not an image after all", func(t *testing.T) {
			other, err := e.svc.SignUpload(e.ctx, "image/png", 1000)
			require.NoError(t, err)
			_, err = e.svc.PutSigned(context.Background(), put(t, other.URL, "image/png"), strings.NewReader("<html>"))
			assert.ErrorIs(t, err, store.ErrUnsupportedMediaType, "the same checks as the POST")
		})

		t.Run("OK once", func(t *testing.T) {
			// Two at once, as a replay racing the real upload: one wins.
			var wg sync.WaitGroup
			urls, errs := make([]string, 2), make([]error, 2)
			for i := range 2 {
				wg.Go(func() { urls[i], errs[i] = e.svc.PutSigned(context.Background(), p, bytes.NewReader(img)) })
			}
			wg.Wait()
			won := 0
			for i := range 2 {
				if errs[i] == nil {
					won++
					got, err := e.st.Users().ByID(context.Background(), e.user.ID)
					require.NoError(t, err)
					assert.Equal(t, urls[i], got.AvatarURL)
				} else {
					assert.ErrorIs(t, errs[i], store.ErrUnauthenticated, "a replay")
				}
			}
			assert.Equal(t, 1, won)
			for _, k := range e.objects(t) {
				data, err := e.bucket.ReadAll(context.Background(), k)
				require.NoError(t, err)
				assert.NotContains(t, string(data), testkit.EXIFMarker)
			}
		})

		t.Run("expired", func(t *testing.T) {
			late, err := e.svc.SignUpload(e.ctx, "image/jpeg", int64(len(img)))
			require.NoError(t, err)
			e.clock.Advance(15*time.Minute + time.Second)
			_, err = e.svc.PutSigned(context.Background(), put(t, late.URL, "image/jpeg"), bytes.NewReader(img))
			assert.ErrorIs(t, err, store.ErrUnauthenticated)
		})
	})
}

func TestSignedUploadUserGone(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		img := testkit.PNG(40, 40, false)
		s, err := e.svc.SignUpload(e.ctx, "image/png", int64(len(img)))
		require.NoError(t, err)
		_, err = e.st.Users().Update(context.Background(), e.user.ID, func(u *store.User) error {
			u.Status = store.StatusSuspended
			return nil
		})
		require.NoError(t, err)
		_, err = e.svc.PutSigned(context.Background(), put(t, s.URL, "image/png"), bytes.NewReader(img))
		assert.ErrorIs(t, err, store.ErrUnauthenticated, "a suspended user's URL no longer works")
		assert.Empty(t, e.objects(t))
	})
}
