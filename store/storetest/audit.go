package storetest

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func auditCases() []testCase {
	return []testCase{
		{"RecordAndList", testAuditRecordAndList},
		{"ListFilters", testAuditFilters},
		{"Paging", testAuditPaging},
		{"PagingOfUser", testAuditPagingOfUser},
		{"Count", testAuditCount},
		{"NonUUIDFilters", testAuditNonUUIDFilters},
		{"DeleteBefore", testAuditDeleteBefore},
		{"Pseudonymize", testAuditPseudonymize},
	}
}

// listAudit returns every entry matching f, newest first.
func listAudit(t *testing.T, st store.Store, f store.AuditFilter) ([]store.AuditEntry, error) {
	t.Helper()
	p, err := st.Audit().List(ctx(t), f, store.ListRequest{Limit: store.MaxLimit})
	if err == nil {
		assert.Empty(t, p.NextCursor, "listAudit: more than one page")
	}
	return p.Items, err
}

func entryIDs(es []store.AuditEntry) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func testAuditRecordAndList(t *testing.T, st store.Store) {
	actor, target, imp := uuid.NewString(), uuid.NewString(), uuid.NewString()
	e := &store.AuditEntry{
		ActorID: actor, ImpersonatorID: imp, Action: "user.update", TargetID: target,
		Outcome: store.OutcomeSuccess, IP: "203.0.113.5", UserAgent: "curl/8", RequestID: "req-1",
		Metadata:  map[string]string{"field": "email", "via": "admin"},
		CreatedAt: base.Add(5 * time.Microsecond),
	}
	require.NoError(t, st.Audit().Record(ctx(t), e))
	_, err := uuid.Parse(e.ID)
	assert.NoError(t, err, "Record assigns a UUID")
	bare := &store.AuditEntry{Action: "auth.login", Outcome: store.OutcomeFailure, CreatedAt: base.Add(time.Minute)}
	require.NoError(t, st.Audit().Record(ctx(t), bare))

	got, err := listAudit(t, st, store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []string{bare.ID, e.ID}, entryIDs(got), "newest first")

	g := got[1]
	assert.Equal(t, actor, g.ActorID)
	assert.Equal(t, imp, g.ImpersonatorID)
	assert.Equal(t, "user.update", g.Action)
	assert.Equal(t, target, g.TargetID)
	assert.Equal(t, store.OutcomeSuccess, g.Outcome)
	assert.Equal(t, "203.0.113.5", g.IP)
	assert.Equal(t, "curl/8", g.UserAgent)
	assert.Equal(t, "req-1", g.RequestID)
	assert.Equal(t, e.Metadata, g.Metadata)
	sameTime(t, e.CreatedAt, g.CreatedAt)

	b := got[0]
	assert.Empty(t, b.ActorID)
	assert.Empty(t, b.TargetID)
	assert.Empty(t, b.ImpersonatorID)
	assert.Empty(t, b.IP)
	assert.Empty(t, b.Metadata)
	assert.Equal(t, store.OutcomeFailure, b.Outcome)
}

// auditFixture records entries one minute apart, oldest first.
func auditFixture(t *testing.T, st store.Store) (ada, bob string, es []*store.AuditEntry) {
	t.Helper()
	ada, bob = uuid.NewString(), uuid.NewString()
	specs := []store.AuditEntry{
		{ActorID: ada, Action: "auth.login", Outcome: store.OutcomeSuccess, IP: "192.0.2.1"},
		{ActorID: ada, Action: "auth.login", Outcome: store.OutcomeFailure, IP: "192.0.2.2"},
		{ActorID: bob, Action: "user.suspend", TargetID: ada, Outcome: store.OutcomeSuccess, IP: "192.0.2.3"},
		{ActorID: bob, Action: "auth.login", Outcome: store.OutcomeSuccess, IP: "192.0.2.3"},
		{ActorID: ada, Action: "role.create", Outcome: store.OutcomeDenied, IP: "192.0.2.1"},
		{Action: "auth.login", TargetID: bob, Outcome: store.OutcomeFailure, IP: "192.0.2.9"},
	}
	for i := range specs {
		e := specs[i]
		e.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		require.NoError(t, st.Audit().Record(ctx(t), &e))
		es = append(es, &e)
	}
	return ada, bob, es
}

func testAuditFilters(t *testing.T, st store.Store) {
	ada, bob, es := auditFixture(t, st)
	ids := func(idx ...int) []string {
		out := make([]string, len(idx))
		for i, j := range idx {
			out[i] = es[j].ID
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []string // newest first
	}{
		{"none", store.AuditFilter{}, ids(5, 4, 3, 2, 1, 0)},
		{"ActorID", store.AuditFilter{ActorID: ada}, ids(4, 1, 0)},
		{"TargetID", store.AuditFilter{TargetID: ada}, ids(2)},
		{"UserID as actor or target", store.AuditFilter{UserID: ada}, ids(4, 2, 1, 0)},
		{"UserID bob", store.AuditFilter{UserID: bob}, ids(5, 3, 2)},
		{"Action", store.AuditFilter{Action: "auth.login"}, ids(5, 3, 1, 0)},
		{"Outcome", store.AuditFilter{Outcome: store.OutcomeFailure}, ids(5, 1)},
		{"Outcome denied", store.AuditFilter{Outcome: store.OutcomeDenied}, ids(4)},
		{"IP", store.AuditFilter{IP: "192.0.2.3"}, ids(3, 2)},
		{"From", store.AuditFilter{From: base.Add(150 * time.Second)}, ids(5, 4, 3)},
		{"To", store.AuditFilter{To: base.Add(90 * time.Second)}, ids(1, 0)},
		{"From and To", store.AuditFilter{From: base.Add(30 * time.Second), To: base.Add(210 * time.Second)}, ids(3, 2, 1)},
		{"From in another zone", store.AuditFilter{From: base.Add(270 * time.Second).In(time.FixedZone("X", -5*3600))}, ids(5)},
		{"combined", store.AuditFilter{ActorID: ada, Action: "auth.login", Outcome: store.OutcomeSuccess}, ids(0)},
		{"no match", store.AuditFilter{ActorID: missingID}, nil},
		{"action no match", store.AuditFilter{Action: "auth"}, nil},
	} {
		got, err := listAudit(t, st, tc.f)
		require.NoError(t, err, tc.name)
		if tc.want == nil {
			assert.Empty(t, got, tc.name)
		} else {
			assert.Equal(t, tc.want, entryIDs(got), tc.name)
		}
		n, err := st.Audit().Count(ctx(t), tc.f)
		require.NoError(t, err, tc.name)
		assert.Equal(t, len(tc.want), n, "Count: %s", tc.name)
	}
}

func testAuditPaging(t *testing.T, st store.Store) {
	_, _, es := auditFixture(t, st)
	// Two more entries at the same instant as es[2]: ties are broken by id.
	for range 2 {
		e := &store.AuditEntry{Action: "tie", Outcome: store.OutcomeSuccess, CreatedAt: es[2].CreatedAt}
		require.NoError(t, st.Audit().Record(ctx(t), e))
		es = append(es, e)
	}
	byTime := append([]*store.AuditEntry(nil), es...)
	sortEntries(byTime)
	asc := make([]string, len(byTime))
	for i, e := range byTime {
		asc[i] = e.ID
	}
	list := func(f store.AuditFilter) listFunc[store.AuditEntry] {
		return func(r store.ListRequest) (store.Page[store.AuditEntry], error) { return st.Audit().List(ctx(t), f, r) }
	}
	id := func(e store.AuditEntry) string { return e.ID }
	listContract(t, list(store.AuditFilter{}), id, store.Sort{Field: "createdAt", Desc: true}, reverse(asc))
	listContract(t, list(store.AuditFilter{}), id, store.Sort{Field: "createdAt"}, asc)

	got, _ := walk(t, list(store.AuditFilter{}), store.ListRequest{Limit: 3})
	assert.Equal(t, reverse(asc), entryIDs(got), "newest first by default")

	got, pages := walk(t, list(store.AuditFilter{Action: "auth.login"}), store.ListRequest{Limit: 1})
	assert.Equal(t, []string{es[5].ID, es[3].ID, es[1].ID, es[0].ID}, entryIDs(got), "paging under a filter")
	assert.Equal(t, 4, pages)
	p, err := st.Audit().List(ctx(t), store.AuditFilter{Action: "auth.login"}, store.ListRequest{Limit: 1, Page: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{es[3].ID}, entryIDs(p.Items))
	require.NotNil(t, p.Total)
	assert.Equal(t, 4, *p.Total, "the total counts under the filter")
}

// sortEntries sorts es oldest first, ties by id.
func sortEntries(es []*store.AuditEntry) {
	sort.Slice(es, func(i, j int) bool {
		if !es[i].CreatedAt.Equal(es[j].CreatedAt) {
			return es[i].CreatedAt.Before(es[j].CreatedAt)
		}
		return es[i].ID < es[j].ID
	})
}

func testAuditCount(t *testing.T, st store.Store) {
	ada, _, es := auditFixture(t, st)
	n, err := st.Audit().Count(ctx(t), store.AuditFilter{})
	require.NoError(t, err)
	assert.Equal(t, len(es), n)
	n, err = st.Audit().Count(ctx(t), store.AuditFilter{UserID: ada})
	require.NoError(t, err)
	assert.Equal(t, 4, n)
}

func testAuditNonUUIDFilters(t *testing.T, st store.Store) {
	auditFixture(t, st)
	for _, f := range []store.AuditFilter{{ActorID: badID}, {TargetID: badID}, {UserID: badID}} {
		got, err := listAudit(t, st, f)
		require.NoError(t, err, "%+v", f)
		assert.Empty(t, got, "%+v", f)
		n, err := st.Audit().Count(ctx(t), f)
		require.NoError(t, err, "%+v", f)
		assert.Zero(t, n, "%+v", f)
	}
	n, err := st.Audit().Pseudonymize(ctx(t), badID, uuid.NewString(), nil)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func testAuditDeleteBefore(t *testing.T, st store.Store) {
	var old, recent []*store.AuditEntry
	for i := range 5 {
		e := &store.AuditEntry{Action: fmt.Sprintf("old.%d", i), Outcome: store.OutcomeSuccess, CreatedAt: base.Add(-time.Duration(5-i) * time.Hour)}
		require.NoError(t, st.Audit().Record(ctx(t), e))
		old = append(old, e)
	}
	for i := range 2 {
		e := &store.AuditEntry{Action: fmt.Sprintf("new.%d", i), Outcome: store.OutcomeSuccess, CreatedAt: base.Add(time.Duration(i) * time.Hour)}
		require.NoError(t, st.Audit().Record(ctx(t), e))
		recent = append(recent, e)
	}

	n, err := st.Audit().DeleteBefore(ctx(t), base, 3)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "at most limit")
	left, err := listAudit(t, st, store.AuditFilter{})
	require.NoError(t, err)
	assert.Equal(t, []string{recent[1].ID, recent[0].ID, old[4].ID, old[3].ID}, entryIDs(left), "the oldest go first")

	n, err = st.Audit().DeleteBefore(ctx(t), base, 3)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	n, err = st.Audit().DeleteBefore(ctx(t), base, 3)
	require.NoError(t, err)
	assert.Zero(t, n)

	left, err = listAudit(t, st, store.AuditFilter{})
	require.NoError(t, err)
	assert.Equal(t, []string{recent[1].ID, recent[0].ID}, entryIDs(left), "an entry at the cutoff stays")
}

func testAuditPseudonymize(t *testing.T, st store.Store) {
	ada, bob, admin, pseudo := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	specs := []store.AuditEntry{
		{ActorID: ada, TargetID: bob, Action: "a.0", Metadata: map[string]string{"note": "mail ADA@example.com", "reason": "x"}},
		{ActorID: admin, TargetID: ada, Action: "a.1", Metadata: map[string]string{"old_email": "old@example.com", "role": "admin"}},
		{ActorID: bob, ImpersonatorID: ada, Action: "a.2"},
		{ActorID: ada, TargetID: ada, Action: "a.3"}, // names ada twice: one entry
		{ActorID: bob, TargetID: admin, Action: "a.4", Metadata: map[string]string{"email": "bob@example.com"}},
	}
	for i := range specs {
		e := specs[i]
		e.Outcome, e.IP, e.UserAgent, e.RequestID = store.OutcomeSuccess, "198.51.100.1", "agent", "req"
		e.CreatedAt = base.Add(time.Duration(i) * time.Second)
		require.NoError(t, st.Audit().Record(ctx(t), &e))
	}

	n, err := st.Audit().Pseudonymize(ctx(t), ada, pseudo, []string{"ada@example.com", "Ada"})
	require.NoError(t, err)
	assert.Equal(t, 4, n, "entries changed, each counted once")

	left, err := listAudit(t, st, store.AuditFilter{UserID: ada})
	require.NoError(t, err)
	assert.Empty(t, left, "no entry names the user any more")
	n, err = st.Audit().Count(ctx(t), store.AuditFilter{UserID: pseudo})
	require.NoError(t, err)
	assert.Equal(t, 3, n, "the pseudonym stands for the user as actor or target, so counts add up")

	all, err := listAudit(t, st, store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, all, 5, "entries stay")
	byAction := map[string]store.AuditEntry{}
	for _, e := range all {
		byAction[e.Action] = e
		assert.NotEqual(t, ada, e.ActorID)
		assert.NotEqual(t, ada, e.TargetID)
		assert.NotEqual(t, ada, e.ImpersonatorID)
	}
	for _, a := range []string{"a.0", "a.1", "a.2", "a.3"} {
		assert.Empty(t, byAction[a].IP, a)
		assert.Empty(t, byAction[a].UserAgent, a)
		assert.Equal(t, "req", byAction[a].RequestID, a)
	}
	assert.Equal(t, pseudo, byAction["a.0"].ActorID)
	assert.Equal(t, bob, byAction["a.0"].TargetID, "other ids stay")
	assert.Equal(t, map[string]string{"note": store.ErasedValue, "reason": "x"}, byAction["a.0"].Metadata,
		"a value holding the email is scrubbed, whatever its case")
	assert.Equal(t, admin, byAction["a.1"].ActorID)
	assert.Equal(t, pseudo, byAction["a.1"].TargetID)
	assert.Equal(t, map[string]string{"old_email": store.ErasedValue, "role": "admin"}, byAction["a.1"].Metadata,
		"a key naming an email is scrubbed whatever it holds")
	assert.Equal(t, bob, byAction["a.2"].ActorID)
	assert.Equal(t, pseudo, byAction["a.2"].ImpersonatorID)
	assert.Equal(t, pseudo, byAction["a.3"].ActorID)
	assert.Equal(t, pseudo, byAction["a.3"].TargetID)
	untouched := byAction["a.4"]
	assert.Equal(t, bob, untouched.ActorID, "entries not naming the user are untouched")
	assert.Equal(t, admin, untouched.TargetID)
	assert.Equal(t, "198.51.100.1", untouched.IP)
	assert.Equal(t, "agent", untouched.UserAgent)
	assert.Equal(t, "bob@example.com", untouched.Metadata["email"])

	n, err = st.Audit().Pseudonymize(ctx(t), ada, pseudo, nil)
	require.NoError(t, err)
	assert.Zero(t, n, "twice changes nothing")
	n, err = st.Audit().Pseudonymize(ctx(t), missingID, pseudo, nil)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// testAuditPagingOfUser walks the entries naming a user as actor or
// target (an export, a user's activity): as actor, as target, as both, and
// entries of others interleaved, with ties in time.
func testAuditPagingOfUser(t *testing.T, st store.Store) {
	u, other := uuid.NewString(), uuid.NewString()
	roles := []struct{ actor, target string }{
		{u, ""}, {other, u}, {u, u}, {other, other}, {"", u}, {u, other}, {other, ""},
	}
	var mine []*store.AuditEntry
	for i := range 21 {
		r := roles[i%len(roles)]
		e := &store.AuditEntry{ActorID: r.actor, TargetID: r.target, Action: "user.update",
			Outcome: store.OutcomeSuccess, CreatedAt: base.Add(time.Duration(i/3) * time.Second)}
		require.NoError(t, st.Audit().Record(ctx(t), e))
		if r.actor == u || r.target == u {
			mine = append(mine, e)
		}
	}
	sortEntries(mine)
	asc := make([]string, len(mine))
	for i, e := range mine {
		asc[i] = e.ID
	}
	list := func(r store.ListRequest) (store.Page[store.AuditEntry], error) {
		return st.Audit().List(ctx(t), store.AuditFilter{UserID: u}, r)
	}
	id := func(e store.AuditEntry) string { return e.ID }
	listContract(t, list, id, store.Sort{Field: "createdAt", Desc: true}, reverse(asc))
	listContract(t, list, id, store.Sort{Field: "createdAt"}, asc)
}
