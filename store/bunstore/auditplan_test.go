package bunstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/internal/auditgen"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
)

// queryLog records the SQL a store sends.
type queryLog struct {
	mu sync.Mutex
	qs []string
}

func (l *queryLog) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (l *queryLog) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	l.mu.Lock()
	l.qs = append(l.qs, e.Query)
	l.mu.Unlock()
}

func (l *queryLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	qs := l.qs
	l.qs = nil
	return qs
}

// TestAuditQueryPlans checks on PostgreSQL, on an analysed table of
// 20,000 rows (enough for the planner to prefer an index to reading the
// table), that the first page of every audit filter reads an index and
// never scans audit_log whole.
func TestAuditQueryPlans(t *testing.T) {
	st := dbtest.Postgres(t)
	db := st.DB()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, auditgen.Fill(context.Background(), db, 20_000, 30*24*time.Hour, now))
	var ids []string
	require.NoError(t, db.NewRaw(auditgen.ActorQuery(17)+" UNION ALL "+auditgen.ActorQuery(119)).Scan(context.Background(), &ids))
	log := &queryLog{}
	db.AddQueryHook(log)
	for name, f := range auditgen.Filters(now, ids[0], ids[1]) {
		t.Run(name, func(t *testing.T) {
			log.take()
			_, err := st.Audit().List(context.Background(), f, store.ListRequest{Limit: 20})
			require.NoError(t, err)
			qs := log.take()
			require.NotEmpty(t, qs)
			for _, q := range qs {
				var plan []string
				require.NoError(t, db.NewRaw("EXPLAIN "+q).Scan(context.Background(), &plan))
				text := strings.Join(plan, "\n")
				assert.NotContains(t, text, "Seq Scan on audit_log", "%s\n%s", q, text)
				assert.Contains(t, text, "Index", text)
				if testing.Verbose() {
					t.Log(text)
				}
			}
		})
	}
}
