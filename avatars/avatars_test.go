package avatars_test

import (
	"bytes"
	"context"
	"image"
	"io"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/avatars"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"

	_ "image/jpeg" // decode what the service wrote
	_ "image/png"
)

// env is a Service on a real store and a real bucket with one user.
type env struct {
	svc    *avatars.Service
	st     store.Store
	bucket *blob.Bucket
	clock  *testkit.Clock
	user   *store.User
	ctx    context.Context // the user acting
}

func newEnv(t *testing.T, st store.Store, b *blob.Bucket) *env {
	t.Helper()
	clock := testkit.NewClock(time.Now().UTC().Truncate(time.Second))
	log := audit.New(st, clock.Now)
	svc, err := avatars.New(avatars.Config{Store: st, Audit: log, RBAC: rbac.New(st, log, clock.Now), Bucket: b,
		FileURL: "https://app.example.com/api/v1/avatars", UploadURL: "https://app.example.com/api/v1/upload/avatar",
		Now: clock.Now})
	require.NoError(t, err)
	e := &env{svc: svc, st: st, bucket: b, clock: clock}
	e.user = e.newUser(t, "ada@example.com")
	e.ctx = store.NewContextWithActor(context.Background(), store.Actor{UserID: e.user.ID})
	return e
}

func (e *env) newUser(t *testing.T, email string) *store.User {
	t.Helper()
	u := &store.User{Email: email, PasswordHash: "x", Status: store.StatusActive, CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
	require.NoError(t, e.st.Users().Create(context.Background(), u))
	return u
}

// objects lists the bucket's keys.
func (e *env) objects(t *testing.T) []string {
	t.Helper()
	var keys []string
	it := e.bucket.List(nil)
	for {
		o, err := it.Next(context.Background())
		if err == io.EOF {
			return keys
		}
		require.NoError(t, err)
		keys = append(keys, o.Key)
	}
}

// file opens what url names through the service, as GET /avatars does.
func (e *env) file(t *testing.T, rawURL string) (*avatars.File, []byte) {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	f, err := e.svc.Open(context.Background(), path.Base(u.Path))
	require.NoError(t, err)
	defer f.Close()
	data, err := io.ReadAll(f)
	require.NoError(t, err)
	return f, data
}

// each runs fn on both databases and both storages, each pair fresh.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			for _, b := range testkit.Buckets {
				t.Run(b.Name, func(t *testing.T) { fn(t, newEnv(t, dbtest.Open(t, d), b.Open(t))) })
			}
		})
	}
}

func TestUploadFormats(t *testing.T) {
	cases := []struct {
		name     string
		data     []byte
		wantType string
	}{
		{"PNG with transparency", testkit.PNG(300, 200, true), "image/png"},
		{"opaque PNG", testkit.PNG(600, 600, false), "image/jpeg"},
		{"JPEG", testkit.JPEG(800, 600, 80), "image/jpeg"},
		{"GIF", testkit.GIF(64, 64), "image/jpeg"},
		{"animated GIF", testkit.AnimatedGIF(64, 48, 3), "image/jpeg"},
		{"WebP", testkit.WebP, "image/jpeg"},
		{"polyglot: a PNG with HTML after it", append(testkit.PNG(40, 40, true), "<html><script>alert(1)</script></html>"...), "image/png"},
	}
	each(t, func(t *testing.T, e *env) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				u, err := e.svc.Upload(e.ctx, e.user.ID, bytes.NewReader(tc.data))
				require.NoError(t, err)
				assert.True(t, strings.HasPrefix(u, "https://app.example.com/api/v1/avatars/"+e.user.ID+"_"), u)
				f, data := e.file(t, u)
				assert.Equal(t, tc.wantType, f.ContentType)
				img, format, err := image.Decode(bytes.NewReader(data))
				require.NoError(t, err, "the stored file is a real image")
				assert.Equal(t, strings.TrimPrefix(tc.wantType, "image/"), format)
				assert.Equal(t, image.Rect(0, 0, 512, 512), img.Bounds(), "the largest rendition is 512 px square")
				assert.NotContains(t, string(data), "<html", "nothing but pixels survives")

				got, err := e.st.Users().ByID(context.Background(), e.user.ID)
				require.NoError(t, err)
				assert.Equal(t, u, got.AvatarURL, "the profile names the new avatar")
				assert.Len(t, e.objects(t), 2, "one object per size; the replaced avatar's are gone")
			})
		}
	})
}

func TestUploadStripsEXIF(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		src := testkit.JPEGWithEXIF(640, 480)
		require.Contains(t, string(src), testkit.EXIFMarker)
		require.Contains(t, string(src), "Exif\x00\x00")
		u, err := e.svc.Upload(e.ctx, e.user.ID, bytes.NewReader(src))
		require.NoError(t, err)
		for _, key := range e.objects(t) {
			data, err := e.bucket.ReadAll(context.Background(), key)
			require.NoError(t, err)
			assert.NotContains(t, string(data), testkit.EXIFMarker, key)
			assert.NotContains(t, string(data), "Exif", key)
		}
		_, data := e.file(t, u)
		assert.NotContains(t, string(data), testkit.EXIFMarker)
	})
}

func TestUploadRefusals(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want *store.Error
	}{
		{"text named .png", []byte("just some text, not an image\n"), store.ErrUnsupportedMediaType},
		{"PNG signature then HTML", append([]byte("\x89PNG\r\n\x1a\n"), "<html><script>alert(1)</script></html>"...), store.ErrUnsupportedMediaType},
		{"HTML", []byte("<!doctype html><svg onload=alert(1)>"), store.ErrUnsupportedMediaType},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), store.ErrUnsupportedMediaType},
		{"empty", nil, store.ErrUnsupportedMediaType},
		{"truncated JPEG", testkit.JPEG(200, 200, 80)[:300], store.ErrUnsupportedMediaType},
		{"20000×20000 header in a small file", testkit.HugePNGHeader(20000, 20000), store.ErrImageTooLarge},
		{"4097 wide", testkit.HugePNGHeader(4097, 10), store.ErrImageTooLarge},
		{"over 5 MiB", append(testkit.PNG(10, 10, false), make([]byte, 5<<20)...), store.ErrPayloadTooLarge},
	}
	each(t, func(t *testing.T, e *env) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.Upload(e.ctx, e.user.ID, bytes.NewReader(tc.data))
				assert.ErrorIs(t, err, tc.want)
				assert.Empty(t, e.objects(t), "a refused upload leaves no object")
			})
		}
	})
}

func TestUploadPermissions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		img := testkit.PNG(32, 32, false)
		_, err := e.svc.Upload(context.Background(), e.user.ID, bytes.NewReader(img))
		assert.ErrorIs(t, err, store.ErrUnauthenticated, "no actor")
		mallory := e.newUser(t, "mallory@example.com")
		asMallory := store.NewContextWithActor(context.Background(), store.Actor{UserID: mallory.ID})
		_, err = e.svc.Upload(asMallory, e.user.ID, bytes.NewReader(img))
		assert.ErrorIs(t, err, store.ErrPermissionDenied, "another user's avatar")
		assert.ErrorIs(t, e.svc.Delete(asMallory, e.user.ID), store.ErrPermissionDenied)
		assert.Empty(t, e.objects(t))
		_, err = e.svc.Upload(store.NewContextWithActor(context.Background(), store.SystemActor), e.user.ID, bytes.NewReader(img))
		assert.NoError(t, err, "the host's own code")
	})
}

func TestReplaceAndDelete(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		first, err := e.svc.Upload(e.ctx, e.user.ID, bytes.NewReader(testkit.PNG(64, 64, false)))
		require.NoError(t, err)
		second, err := e.svc.Upload(e.ctx, e.user.ID, bytes.NewReader(testkit.PNG(64, 64, true)))
		require.NoError(t, err)
		assert.NotEqual(t, first, second, "a new avatar gets new names")
		_, err = e.svc.Open(context.Background(), path.Base(first))
		assert.ErrorIs(t, err, store.ErrNotFound, "the replaced files are deleted")
		assert.Len(t, e.objects(t), 2)

		require.NoError(t, e.svc.Delete(e.ctx, e.user.ID))
		assert.Empty(t, e.objects(t))
		got, err := e.st.Users().ByID(context.Background(), e.user.ID)
		require.NoError(t, err)
		assert.Empty(t, got.AvatarURL)
		_, err = e.st.Avatars().ByUser(context.Background(), e.user.ID)
		assert.ErrorIs(t, err, store.ErrNotFound)
		assert.NoError(t, e.svc.Delete(e.ctx, e.user.ID), "deleting nothing succeeds")

		entries, err := e.st.Audit().List(context.Background(), store.AuditFilter{}, store.ListRequest{Limit: 100})
		require.NoError(t, err)
		var actions []string
		for _, a := range entries.Items {
			actions = append(actions, a.Action)
		}
		assert.ElementsMatch(t, []string{avatars.ActionUpload, avatars.ActionUpload, avatars.ActionDelete}, actions)
	})
}

func TestFailedUploadLeavesNoObject(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		// The user vanishes between the checks and the commit: the files
		// written for the upload must go again.
		gone := e.newUser(t, "gone@example.com")
		require.NoError(t, e.st.Erasure().DeleteUser(context.Background(), gone.ID))
		sys := store.NewContextWithActor(context.Background(), store.SystemActor)
		_, err := e.svc.Upload(sys, gone.ID, bytes.NewReader(testkit.PNG(64, 64, false)))
		assert.ErrorIs(t, err, store.ErrUserNotFound)
		assert.Empty(t, e.objects(t))
	})
}

func TestOpenRefusesOtherNames(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		u, err := e.svc.Upload(e.ctx, e.user.ID, bytes.NewReader(testkit.PNG(64, 64, false)))
		require.NoError(t, err)
		name := path.Base(u)
		require.NoError(t, e.bucket.WriteAll(context.Background(), "secret.txt", []byte("x"), nil))
		for _, bad := range []string{"", "..", "../secret.txt", "secret.txt", "..%2fsecret.txt", "%2e%2e%2fsecret.txt",
			name + "/..", "./" + name, strings.ToUpper(name), strings.Replace(name, "_512.", "_999.", 1),
			strings.TrimSuffix(name, ".jpg") + ".html"} {
			_, err := e.svc.Open(context.Background(), bad)
			assert.ErrorIs(t, err, store.ErrNotFound, "%q", bad)
		}
		f, err := e.svc.Open(context.Background(), name)
		require.NoError(t, err)
		defer f.Close()
		assert.Equal(t, `"`+name+`"`, f.ETag)
		assert.Contains(t, f.CacheControl, "immutable")
	})
}

func TestEraseUserFiles(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		bob := e.newUser(t, "bob@example.com")
		asBob := store.NewContextWithActor(context.Background(), store.Actor{UserID: bob.ID})
		_, err := e.svc.Upload(e.ctx, e.user.ID, bytes.NewReader(testkit.PNG(64, 64, false)))
		require.NoError(t, err)
		_, err = e.svc.Upload(asBob, bob.ID, bytes.NewReader(testkit.PNG(64, 64, false)))
		require.NoError(t, err)
		// A leftover of an interrupted upload is found by its prefix.
		require.NoError(t, e.bucket.WriteAll(context.Background(), e.user.ID+"_leftover_512.jpg", []byte("x"), nil))
		a, err := e.st.Avatars().ByUser(context.Background(), e.user.ID)
		require.NoError(t, err)
		require.NoError(t, e.svc.EraseUserFiles(context.Background(), e.user.ID, []string{a.ID}))
		for _, k := range e.objects(t) {
			assert.True(t, strings.HasPrefix(k, bob.ID+"_"), "only Bob's files are left: %s", k)
		}
		assert.Len(t, e.objects(t), 2)
		assert.NoError(t, e.svc.EraseUserFiles(context.Background(), e.user.ID, nil), "nothing left to erase")
	})
}

func TestUploadAppliesEXIFOrientation(t *testing.T) {
	// Where the stored left (red) half shows once turned for display.
	cases := []struct {
		orientation int
		red, blue   image.Point
	}{
		{1, image.Pt(100, 256), image.Pt(400, 256)},
		{2, image.Pt(400, 256), image.Pt(100, 256)},
		{3, image.Pt(400, 256), image.Pt(100, 256)},
		{6, image.Pt(256, 100), image.Pt(256, 400)},
		{8, image.Pt(256, 400), image.Pt(256, 100)},
	}
	e := newEnv(t, dbtest.SQLite(t), testkit.FileBucket(t))
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.orientation), func(t *testing.T) {
			u, err := e.svc.Upload(e.ctx, e.user.ID, bytes.NewReader(testkit.JPEGWithOrientation(600, tc.orientation)))
			require.NoError(t, err)
			for _, name := range []string{u, strings.Replace(u, "_512.", "_128.", 1)} {
				_, data := e.file(t, name)
				img, _, err := image.Decode(bytes.NewReader(data))
				require.NoError(t, err)
				scale := img.Bounds().Dx()
				at := func(p image.Point) (uint32, uint32) {
					r, _, b, _ := img.At(p.X*scale/512, p.Y*scale/512).RGBA()
					return r, b
				}
				r, b := at(tc.red)
				assert.Greater(t, r, b, "red at %v in %s", tc.red, path.Base(name))
				r, b = at(tc.blue)
				assert.Greater(t, b, r, "blue at %v in %s", tc.blue, path.Base(name))
			}
		})
	}
}
