package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

var fixed = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestRecord(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		log := audit.New(st, func() time.Time { return fixed })
		ctx := store.NewContextWithRequest(context.Background(),
			store.Request{ID: "req-1", IP: "203.0.113.7", UserAgent: "curl/8"})
		ctx = store.NewContextWithActor(ctx, store.Actor{
			UserID: "0190a000-0000-7000-8000-000000000001", ImpersonatorID: "0190a000-0000-7000-8000-000000000002"})

		t.Run("OK", func(t *testing.T) {
			require.NoError(t, log.RecordNow(ctx, audit.Entry{Action: "user.update", TargetID: "0190a000-0000-7000-8000-000000000003",
				Metadata: map[string]string{"field": "bio"}}))
			page, err := log.List(ctx, store.AuditFilter{Action: "user.update"}, store.ListRequest{})
			got := page.Items
			require.NoError(t, err)
			require.Len(t, got, 1)
			e := got[0]
			assert.Equal(t, "0190a000-0000-7000-8000-000000000001", e.ActorID)
			assert.Equal(t, "0190a000-0000-7000-8000-000000000002", e.ImpersonatorID)
			assert.Equal(t, store.OutcomeSuccess, e.Outcome)
			assert.Equal(t, "203.0.113.7", e.IP)
			assert.Equal(t, "curl/8", e.UserAgent)
			assert.Equal(t, "req-1", e.RequestID)
			assert.Equal(t, map[string]string{"field": "bio"}, e.Metadata)
			assert.True(t, fixed.Equal(e.CreatedAt))
		})

		t.Run("RolledBackWithTheChange", func(t *testing.T) {
			boom := errors.New("boom")
			err := st.InTx(ctx, func(tx store.Repos) error {
				require.NoError(t, log.Record(ctx, tx, audit.Entry{Action: "user.delete", Outcome: store.OutcomeFailure}))
				return boom
			})
			require.ErrorIs(t, err, boom)
			page, err := log.List(ctx, store.AuditFilter{Action: "user.delete"}, store.ListRequest{})
			got := page.Items
			require.NoError(t, err)
			assert.Empty(t, got)
		})

		t.Run("ActorOverride", func(t *testing.T) {
			require.NoError(t, log.RecordNow(context.Background(), audit.Entry{
				Action: "auth.login", ActorID: "0190a000-0000-7000-8000-000000000009", Outcome: store.OutcomeFailure}))
			page, err := log.List(ctx, store.AuditFilter{ActorID: "0190a000-0000-7000-8000-000000000009"}, store.ListRequest{})
			got := page.Items
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, store.OutcomeFailure, got[0].Outcome)
		})

		t.Run("EmptyAction", func(t *testing.T) {
			assert.Error(t, log.RecordNow(ctx, audit.Entry{}))
		})
	})
}
