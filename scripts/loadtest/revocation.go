package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
)

// revocations signs in n times on instance a, lets instance b
// authenticate the session (so that b caches it), revokes it on a and
// measures how long b keeps accepting it: the time from the start of the
// revocation to b's first refusal, polled every 100 µs. It returns the
// median and the maximum.
func revocations(ctx context.Context, a, b *usermgmt.Manager, email, password string, n int) (med, worst time.Duration, err error) {
	lat := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		res, err := a.Auth().Login(ctx, auth.Credentials{Identifier: email, Password: password})
		if err != nil {
			return 0, 0, err
		}
		p, err := b.Auth().Authenticate(ctx, res.Tokens.AccessToken, "")
		if err != nil {
			return 0, 0, fmt.Errorf("instance b refused a live session: %w", err)
		}
		start := time.Now()
		if err := a.Sessions().Revoke(ctx, p.UserID, p.SessionID); err != nil {
			return 0, 0, err
		}
		for {
			if _, err := b.Auth().Authenticate(ctx, res.Tokens.AccessToken, ""); err != nil {
				break
			}
			if time.Since(start) > time.Minute {
				return 0, 0, fmt.Errorf("instance b still accepts a session revoked a minute ago")
			}
			time.Sleep(100 * time.Microsecond)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)/2], lat[len(lat)-1], nil
}
