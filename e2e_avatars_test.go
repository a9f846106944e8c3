package usermgmt_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/store"
)

// avatarEnv is an e2e environment on bucket with one signed-in user.
type avatarEnv struct {
	*e2eEnv
	bucket *blob.Bucket
	userID string
	auth   []string
}

func newAvatarEnv(t *testing.T, st store.Store, b *blob.Bucket) *avatarEnv {
	e := newE2E(t, st, usermgmt.WithAvatarStorage(b, usermgmt.AvatarOptions{}), usermgmt.WithRateLimit(0))
	id := e.register(t, "ada@example.com")
	tk := e.login(t, "ada@example.com", e2ePassword)
	return &avatarEnv{e2eEnv: e, bucket: b, userID: id, auth: e2eBearer(tk.AccessToken)}
}

// multipartBody is a form with the file in field.
func multipartBody(t *testing.T, field, filename string, data []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile(field, filename)
	require.NoError(t, err)
	_, err = fw.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return &buf, w.FormDataContentType()
}

func (e *avatarEnv) upload(t *testing.T, filename string, data []byte) *e2eResp {
	t.Helper()
	body, ct := multipartBody(t, "avatar", filename, data)
	raw, err := io.ReadAll(body)
	require.NoError(t, err)
	return e.do(t, http.MethodPost, "/upload/avatar", e2eRaw(raw), append([]string{"Content-Type", ct}, e.auth...)...)
}

// local rewrites an avatar URL at the base URL to the test server.
func (e *avatarEnv) local(u string) string {
	return strings.Replace(u, e2eBaseURL+"/api/v1", e.api, 1)
}

func (e *avatarEnv) objects(t *testing.T) []string {
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

func TestE2EAvatarUpload(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			for _, b := range testkit.Buckets {
				t.Run(b.Name, func(t *testing.T) { testAvatarUpload(t, newAvatarEnv(t, dbtest.Open(t, d), b.Open(t))) })
			}
		})
	}
}

func testAvatarUpload(t *testing.T, e *avatarEnv) {
	// The name and the part's Content-Type lie; the content decides.
	r := e.upload(t, "holiday.gif", testkit.JPEGWithEXIF(800, 600))
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	avatarURL, _ := r.JSON(t)["avatarUrl"].(string)
	require.True(t, strings.HasPrefix(avatarURL, e2eBaseURL+"/api/v1/avatars/"), avatarURL)

	profile := e.get(t, "/users/profile", e.auth...)
	assert.Equal(t, avatarURL, profile.JSON(t)["avatarUrl"])

	f := e.get(t, e.local(avatarURL))
	require.Equal(t, http.StatusOK, f.Status)
	assert.Equal(t, "image/jpeg", f.Header.Get("Content-Type"))
	assert.Equal(t, "nosniff", f.Header.Get("X-Content-Type-Options"))
	assert.Contains(t, f.Header.Get("Content-Security-Policy"), "default-src 'none'")
	assert.Contains(t, f.Header.Get("Cache-Control"), "max-age=31536000")
	assert.NotContains(t, string(f.Body), testkit.EXIFMarker, "EXIF with GPS is gone")
	etag := f.Header.Get("ETag")
	require.NotEmpty(t, etag)
	again := e.get(t, e.local(avatarURL), "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, again.Status)
	assert.Empty(t, again.Body)
	assert.Equal(t, http.StatusOK, e.get(t, e.local(strings.Replace(avatarURL, "_512.", "_128.", 1))).Status, "the 128 px rendition")

	// Replacing deletes the old files; DELETE clears it all.
	r = e.upload(t, "a.webp", testkit.WebP)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, http.StatusNotFound, e.get(t, e.local(avatarURL)).Status)
	assert.Len(t, e.objects(t), 2)
	d := e.do(t, http.MethodDelete, "/upload/avatar", nil, e.auth...)
	assert.Equal(t, http.StatusNoContent, d.Status, "%s", d)
	assert.Empty(t, e.objects(t))
	assert.Nil(t, e.get(t, "/users/profile", e.auth...).JSON(t)["avatarUrl"])
}

func TestE2EAvatarRefusals(t *testing.T) {
	e := newAvatarEnv(t, nil, testkit.FileBucket(t))
	for _, tc := range []struct {
		name     string
		filename string
		data     []byte
		status   int
		code     string
	}{
		{"text named .png", "cat.png", []byte("I am not a picture"), 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"polyglot", "x.png", append([]byte("\x89PNG\r\n\x1a\n"), "<html><script>alert(1)</script>"...), 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"20000×20000 header", "bomb.png", testkit.HugePNGHeader(20000, 20000), 422, "IMAGE_TOO_LARGE"},
		{"6 MiB", "big.png", append(testkit.PNG(8, 8, false), make([]byte, 6<<20)...), 413, "PAYLOAD_TOO_LARGE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e2eCheckProblem(t, e.upload(t, tc.filename, tc.data), tc.status, tc.code)
		})
	}
	t.Run("no avatar field", func(t *testing.T) {
		body, ct := multipartBody(t, "picture", "a.png", testkit.PNG(8, 8, false))
		raw, _ := io.ReadAll(body)
		e2eCheckProblem(t, e.do(t, http.MethodPost, "/upload/avatar", e2eRaw(raw), append([]string{"Content-Type", ct}, e.auth...)...), 400, "VALIDATION_FAILED")
	})
	t.Run("not multipart", func(t *testing.T) {
		e2eCheckProblem(t, e.do(t, http.MethodPost, "/upload/avatar", e2eRaw(testkit.PNG(8, 8, false)), append([]string{"Content-Type", "image/png"}, e.auth...)...), 415, "UNSUPPORTED_MEDIA_TYPE")
	})
	t.Run("anonymous", func(t *testing.T) {
		e2eCheckProblem(t, e.do(t, http.MethodPost, "/upload/avatar", nil), 401, "UNAUTHENTICATED")
	})
	assert.Empty(t, e.objects(t), "no refused upload left an object")
}

// TestE2EAvatarSlowOversizedBody sends 6 MiB slowly, with no
// Content-Length, over a real connection: the 413 must come while the body
// is still being sent, not after it.
func TestE2EAvatarSlowOversizedBody(t *testing.T) {
	e := newAvatarEnv(t, nil, testkit.FileBucket(t))
	u, err := url.Parse(e.api)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer conn.Close()
	boundary := "xBOUNDARYx"
	head := "POST /api/v1/upload/avatar HTTP/1.1\r\nHost: " + u.Host + "\r\n" + e.auth[0] + ": " + e.auth[1] + "\r\n" +
		"Content-Type: multipart/form-data; boundary=" + boundary + "\r\nTransfer-Encoding: chunked\r\n\r\n"
	_, err = conn.Write([]byte(head))
	require.NoError(t, err)
	part := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
	sent := 0
	answered := make(chan string, 1)
	go func() {
		buf := make([]byte, 4096)
		n, _ := conn.Read(buf)
		answered <- string(buf[:n])
	}()
	writeChunk := func(p []byte) error {
		_, err := conn.Write(append(append([]byte(strconv.FormatInt(int64(len(p)), 16)+"\r\n"), p...), "\r\n"...))
		return err
	}
	require.NoError(t, writeChunk(append([]byte(part), testkit.PNG(8, 8, false)...)))
	// Send a little past the cap (the server's 5 MiB and its multipart
	// allowance), slowly, then stop short of the 6 MiB and wait: an answer
	// now can only come from refusing while reading.
	chunk := make([]byte, 256<<10)
	for sent < 5<<20+512<<10 {
		if err := writeChunk(chunk); err != nil {
			break // the server closed the connection after answering
		}
		sent += len(chunk)
		time.Sleep(5 * time.Millisecond)
	}
	var reply string
	select {
	case reply = <-answered:
	case <-time.After(20 * time.Second):
	}
	assert.True(t, strings.HasPrefix(reply, "HTTP/1.1 413"), "reply: %q", reply)
	assert.Contains(t, reply, "PAYLOAD_TOO_LARGE")
	assert.Less(t, sent, 6<<20, "the body never reached 6 MiB: the 413 came while reading")
	assert.Empty(t, e.objects(t))
}

func TestE2EAvatarSignedUpload(t *testing.T) {
	for _, b := range testkit.Buckets {
		t.Run(b.Name, func(t *testing.T) {
			e := newAvatarEnv(t, nil, b.Open(t))
			img := testkit.PNG(200, 120, true)
			sign := func(ct string, n int) *e2eResp {
				return e.get(t, "/upload/avatar-url?contentType="+url.QueryEscape(ct)+"&contentLength="+strconv.Itoa(n), e.auth...)
			}
			e2eCheckProblem(t, sign("text/html", 100), 415, "UNSUPPORTED_MEDIA_TYPE")
			e2eCheckProblem(t, sign("image/png", 5<<20+1), 413, "PAYLOAD_TOO_LARGE")
			e2eCheckProblem(t, e.get(t, "/upload/avatar-url?contentType=image/png&contentLength=x", e.auth...), 400, "VALIDATION_FAILED")
			e2eCheckProblem(t, e.get(t, "/upload/avatar-url?contentType=image/png&contentLength=10"), 401, "UNAUTHENTICATED")

			r := sign("image/png", len(img))
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			s := r.JSON(t)
			signed := e.local(s["url"].(string))
			require.Contains(t, signed, "/upload/avatar/"+s["objectId"].(string)+"?")
			put := func(u, ct string, data []byte) *e2eResp {
				return e.do(t, http.MethodPut, u, e2eRaw(data), "Content-Type", ct)
			}
			tampered := strings.Replace(signed, "signature=", "signature=A", 1)
			e2eCheckProblem(t, put(tampered, "image/png", img), 401, "UNAUTHENTICATED")
			e2eCheckProblem(t, put(signed, "image/jpeg", img), 401, "UNAUTHENTICATED")
			ok := put(signed, "image/png", img)
			require.Equal(t, http.StatusNoContent, ok.Status, "%s", ok)
			e2eCheckProblem(t, put(signed, "image/png", img), 401, "UNAUTHENTICATED")
			avatarURL, _ := e.get(t, "/users/profile", e.auth...).JSON(t)["avatarUrl"].(string)
			f := e.get(t, e.local(avatarURL))
			require.Equal(t, http.StatusOK, f.Status)
			assert.Equal(t, "image/png", f.Header.Get("Content-Type"), "transparency keeps PNG")

			late := sign("image/png", len(img))
			require.Equal(t, http.StatusOK, late.Status)
			e.clock.Advance(16 * time.Minute)
			e2eCheckProblem(t, put(e.local(late.JSON(t)["url"].(string)), "image/png", img), 401, "UNAUTHENTICATED")
		})
	}
}

func TestE2EAvatarTraversal(t *testing.T) {
	e := newAvatarEnv(t, nil, testkit.FileBucket(t))
	require.NoError(t, e.bucket.WriteAll(context.Background(), "secret.txt", []byte("top secret"), nil))
	r := e.upload(t, "a.png", testkit.PNG(16, 16, false))
	require.Equal(t, http.StatusOK, r.Status)
	name := r.JSON(t)["avatarUrl"].(string)
	name = name[strings.LastIndex(name, "/")+1:]
	u, err := url.Parse(e.api)
	require.NoError(t, err)
	for _, p := range []string{
		"/avatars/../secret.txt", "/avatars/..%2fsecret.txt", "/avatars/%2e%2e%2fsecret.txt", "/avatars/%2e%2e/secret.txt",
		"/avatars/secret.txt", "/avatars/" + name + "/..", "/avatars/..%5csecret.txt", "/avatars/" + name + "%00.html",
	} {
		// The API itself, as a router that does not clean paths hands
		// them over.
		rec := httptest.NewRecorder()
		e.m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1"+p, nil))
		assert.Equal(t, http.StatusNotFound, rec.Code, p)
		assert.NotContains(t, rec.Body.String(), "top secret", p)
		// Through the host's ServeMux over a raw connection (a client would
		// clean some of these): the mux may redirect to the cleaned path,
		// which must not reach the file either.
		status, loc, body := rawGet(t, u.Host, "/api/v1"+p)
		if status/100 == 3 {
			status, _, body = rawGet(t, u.Host, loc)
		}
		assert.Equal(t, http.StatusNotFound, status, p)
		assert.NotContains(t, body, "top secret", p)
	}
}

// rawGet sends path as it is on a request line and returns the status,
// the Location and the body.
func rawGet(t *testing.T, host, path string) (int, string, string) {
	t.Helper()
	conn, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"))
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

func TestE2EAvatarErasure(t *testing.T) {
	e := newAvatarEnv(t, nil, testkit.FileBucket(t))
	r := e.upload(t, "a.png", testkit.PNG(16, 16, false))
	require.Equal(t, http.StatusOK, r.Status)
	bob := e.register(t, "bob@example.com")
	bobTokens := e.login(t, "bob@example.com", e2ePassword)
	body, ct := multipartBody(t, "avatar", "b.png", testkit.GIF(20, 20))
	raw, _ := io.ReadAll(body)
	require.Equal(t, http.StatusOK, e.do(t, http.MethodPost, "/upload/avatar", e2eRaw(raw), append([]string{"Content-Type", ct}, e2eBearer(bobTokens.AccessToken)...)...).Status)
	require.Len(t, e.objects(t), 4)

	sys := usermgmt.NewContextWithActor(context.Background(), usermgmt.SystemActor)
	require.NoError(t, e.m.GDPR().Erase(sys, e.userID))
	for _, k := range e.objects(t) {
		assert.True(t, strings.HasPrefix(k, bob+"_"), "erasure removed the user's files: %s is left", k)
	}
	assert.Len(t, e.objects(t), 2)
}

// TestNewValidatesAvatarStorage checks WithAvatarStorage's values fail New
// with an error naming the option.
func TestNewValidatesAvatarStorage(t *testing.T) {
	b := testkit.FileBucket(t)
	for _, tc := range []struct {
		name string
		opt  usermgmt.Option
		ok   bool
	}{
		{"Defaults", usermgmt.WithAvatarStorage(b, usermgmt.AvatarOptions{}), true},
		{"PublicURL", usermgmt.WithAvatarStorage(b, usermgmt.AvatarOptions{PublicURL: "https://cdn.example.com/a/"}), true},
		{"Sizes", usermgmt.WithAvatarStorage(b, usermgmt.AvatarOptions{Sizes: []int{256, 64}}), true},
		{"NilBucket", usermgmt.WithAvatarStorage(nil, usermgmt.AvatarOptions{}), false},
		{"RelativePublicURL", usermgmt.WithAvatarStorage(b, usermgmt.AvatarOptions{PublicURL: "/avatars"}), false},
		{"PublicURLQuery", usermgmt.WithAvatarStorage(b, usermgmt.AvatarOptions{PublicURL: "https://cdn.example.com/?x=1"}), false},
		{"NoSizes", usermgmt.WithAvatarStorage(b, usermgmt.AvatarOptions{Sizes: []int{}}), false},
		{"SmallestFirst", usermgmt.WithAvatarStorage(b, usermgmt.AvatarOptions{Sizes: []int{128, 512}}), false},
		{"TooLarge", usermgmt.WithAvatarStorage(b, usermgmt.AvatarOptions{Sizes: []int{4096}}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := usermgmt.New(dbtest.SQLite(t), tc.opt)
			if tc.ok {
				require.NoError(t, err)
				_ = m.Close()
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "WithAvatarStorage")
		})
	}
}

// TestE2EAvatarPublicURL: with the bucket's public URL configured,
// avatarUrl points there, on the public profile too.
func TestE2EAvatarPublicURL(t *testing.T) {
	b := testkit.FileBucket(t)
	e := newE2E(t, nil, usermgmt.WithAvatarStorage(b, usermgmt.AvatarOptions{PublicURL: "https://cdn.example.com/avatars/", Sizes: []int{256, 64}}))
	e.register(t, "ada@example.com")
	tk := e.login(t, "ada@example.com", e2ePassword)
	auth := e2eBearer(tk.AccessToken)
	require.Equal(t, http.StatusOK, e.do(t, http.MethodPatch, "/users/profile", map[string]any{"username": "ada", "visibility": "public"}, auth...).Status)
	env := &avatarEnv{e2eEnv: e, bucket: b, auth: auth}
	r := env.upload(t, "a.png", testkit.PNG(300, 300, false))
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	u := r.JSON(t)["avatarUrl"].(string)
	assert.True(t, strings.HasPrefix(u, "https://cdn.example.com/avatars/"), u)
	assert.True(t, strings.HasSuffix(u, "_256.jpg"), u)
	pub := e.get(t, "/users/ada")
	require.Equal(t, http.StatusOK, pub.Status, "%s", pub)
	assert.Equal(t, u, pub.JSON(t)["avatarUrl"])
	name := u[strings.LastIndex(u, "/")+1:]
	ok, err := b.Exists(context.Background(), name)
	require.NoError(t, err)
	assert.True(t, ok, "the object name is the URL's last segment")
}
