package avatars_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"path"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/avatars"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// Upload an image for a user, then open the stored file as GET /avatars
// serves it: a 512 px square re-encoded from the pixels. A file that only
// claims to be an image is refused by its content.
func ExampleService_Upload() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	u := &store.User{Email: "ada@example.com", Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := st.Users().Create(ctx, u); err != nil {
		log.Fatal(err)
	}
	auditLog := audit.New(st, nil)
	svc, err := avatars.New(avatars.Config{Store: st, Audit: auditLog, RBAC: rbac.New(st, auditLog, nil),
		Bucket: memblob.OpenBucket(nil), FileURL: "https://app.example.com/api/v1/avatars",
		UploadURL: "https://app.example.com/api/v1/upload/avatar"})
	if err != nil {
		log.Fatal(err)
	}
	asAda := store.NewContextWithActor(ctx, store.Actor{UserID: u.ID})

	img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	img.Set(10, 10, color.NRGBA{R: 255, A: 128}) // one translucent pixel: PNG stays PNG
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	url, err := svc.Upload(asAda, u.ID, &buf)
	if err != nil {
		log.Fatal(err)
	}
	f, err := svc.Open(ctx, path.Base(url))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	stored, _, _ := image.DecodeConfig(f)
	fmt.Println(f.ContentType, stored.Width, stored.Height)

	_, err = svc.Upload(asAda, u.ID, bytes.NewReader([]byte("<svg onload=alert(1)>")))
	fmt.Println(errors.Is(err, store.ErrUnsupportedMediaType))
	// Output:
	// image/png 512 512
	// true
}
