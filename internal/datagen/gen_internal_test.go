package datagen

import (
	"bufio"
	"io"
	"testing"
	"time"
)

// BenchmarkGenerate is the cost of making one user's rows, which every
// COPY pass pays.
func BenchmarkGenerate(b *testing.B) {
	g := gen{cfg: Config{Seed: 1, Now: time.Now()}, hash: "x", roles: map[string]string{"user": "u", "moderator": "m", "admin": "a"}}
	w := bufio.NewWriter(io.Discard)
	tables := g.tables("{}")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := g.person(i)
		for _, t := range tables {
			t.write(w, p)
		}
	}
}
