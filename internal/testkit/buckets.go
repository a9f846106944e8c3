package testkit

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
)

// Buckets are the storages tests run on: a local directory (the
// default storage) and S3 through gocloud's s3blob adapter, against an
// in-process S3 implementation (gofakes3).
var Buckets = []struct {
	Name string
	Open func(t testing.TB) *blob.Bucket
}{
	{"file", FileBucket},
	{"s3", S3Bucket},
}

// FileBucket is a fileblob bucket in t.TempDir(), closed when t ends.
func FileBucket(t testing.TB) *blob.Bucket {
	t.Helper()
	b, err := fileblob.OpenBucket(t.TempDir(), &fileblob.Options{CreateDir: true, NoTempDir: true})
	if err != nil {
		t.Fatalf("fileblob: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// S3Bucket is an s3blob bucket on a fresh in-process S3 server, both
// closed when t ends.
func S3Bucket(t testing.TB) *blob.Bucket {
	t.Helper()
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	if err := backend.CreateBucket("avatars"); err != nil {
		t.Fatalf("gofakes3: %v", err)
	}
	client := s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(srv.URL),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider("test", "test", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	b, err := s3blob.OpenBucket(context.Background(), client, "avatars", nil)
	if err != nil {
		t.Fatalf("s3blob: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}
