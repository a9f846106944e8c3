package ratelimit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/usermgmt/usermgmt/ratelimit"
)

func ExampleMemory() {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	l := ratelimit.NewMemory(func() time.Time { return now })
	limit := ratelimit.Limit{Requests: 2, Window: time.Minute}
	for i := 0; i < 3; i++ {
		d, _ := l.Allow(context.Background(), "ip:203.0.113.7", limit)
		fmt.Println(d.Allowed, d.Remaining, d.RetryAfter)
	}
	// Output:
	// true 1 0s
	// true 0 0s
	// false 0 30s
}
