package avatars_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
)

// benchJPEG is a size×size 4:2:0 JPEG at quality 95: of random noise,
// which compresses badly (1700 px is 4.0 MiB), or of a smooth pattern.
func benchJPEG(b *testing.B, size int, noise bool) []byte {
	b.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, size, size), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Y {
		img.Y[i] = uint8(i / size / 16)
		if noise {
			img.Y[i] = uint8(r.IntN(256))
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(i%size/8), 128
		if noise {
			img.Cb[i], img.Cr[i] = uint8(r.IntN(256)), uint8(r.IntN(256))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// heapPeak samples the live heap every millisecond until stopped and
// returns the highest value seen, in bytes.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// rssPeak is the process's resident-set high-water mark (VmHWM), in bytes;
// 0 where /proc is missing.
func rssPeak() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func benchEnv(b *testing.B) *env {
	st := dbtest.SQLite(b)
	return newEnv(&testing.T{}, st, memblob.OpenBucket(nil))
}

// BenchmarkUpload4MiBJPEG is one upload of a 4 MiB, 1700×1700 JPEG: read,
// header check, decode, two renditions, two objects and the commit.
func BenchmarkUpload4MiBJPEG(b *testing.B) {
	benchUploads(b, benchJPEG(b, 1700, true))
}

// BenchmarkUpload4096JPEG bounds the largest image accepted: a
// 4096×4096 JPEG (its pixels decode to 24 MiB in 4:2:0).
func BenchmarkUpload4096JPEG(b *testing.B) {
	benchUploads(b, benchJPEG(b, 4096, false)) // noise at 4096 px is past the 5 MiB cap
}

// benchUploads uploads img once per iteration as one user and reports its
// size and the peak heap.
func benchUploads(b *testing.B, img []byte) {
	e := benchEnv(b)
	b.ReportMetric(float64(len(img))/(1<<20), "MiB/upload")
	b.ReportAllocs()
	stop := heapPeak()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.svc.Upload(e.ctx, e.user.ID, bytes.NewReader(img)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MiB")
}

// BenchmarkUpload50Parallel starts 50 uploads of the 4 MiB JPEG at once,
// each by its own user, and reports the peak heap and the process's peak
// RSS: Config.Decoders (GOMAXPROCS) bounds how many decode at a time.
// Run it alone (-bench 'Upload50Parallel') so VmHWM is its own.
func BenchmarkUpload50Parallel(b *testing.B) {
	e := benchEnv(b)
	img := benchJPEG(b, 1700, true)
	ctxs := make([]context.Context, 50)
	ids := make([]string, 50)
	for i := range ctxs {
		u := e.newUser(&testing.T{}, "u"+strconv.Itoa(i)+"@example.com")
		ids[i], ctxs[i] = u.ID, store.NewContextWithActor(context.Background(), store.Actor{UserID: u.ID})
	}
	stop := heapPeak()
	b.ResetTimer()
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range ctxs {
			wg.Go(func() {
				if _, err := e.svc.Upload(ctxs[i], ids[i], bytes.NewReader(img)); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(rssPeak())/(1<<20), "peak-RSS-MiB")
}
