package admin

import (
	"context"
	"strings"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// dropTaken skips candidates whose email an account has already and
// fails those whose username another account has.
func (im *importer) dropTaken(ctx context.Context, cands []candidate) ([]candidate, error) {
	emails := make([]string, 0, len(cands))
	names := make([]string, 0, len(cands))
	for _, c := range cands {
		emails = append(emails, c.user.Email)
		names = append(names, c.user.Username)
	}
	takenEmails, takenNames, err := im.s.st.Bulk().Taken(ctx, emails, names)
	if err != nil {
		return nil, err
	}
	kept := cands[:0]
	for _, c := range cands {
		switch {
		case takenEmails[strings.ToLower(c.user.Email)]:
			im.res.Skipped++
		case c.user.Username != "" && takenNames[strings.ToLower(c.user.Username)]:
			im.res.fail(c.line, "username: "+store.ErrUsernameTaken.Message)
		default:
			kept = append(kept, c)
		}
	}
	return kept, nil
}

// insert writes one batch in one transaction with its audit rows, events
// and the outbox jobs of its invitations.
func (im *importer) insert(ctx context.Context, cands []candidate) error {
	created := 0
	err := im.s.st.InTx(ctx, func(tx store.Repos) error {
		created = 0
		in := make([]store.ImportedUser, len(cands))
		for i, c := range cands {
			c.user.ID = ""
			in[i] = store.ImportedUser{User: *c.user, RoleIDs: c.roles}
		}
		ids, err := tx.Bulk().CreateUsers(ctx, in)
		if err != nil {
			return err
		}
		created = len(ids)
		if err := im.invite(ctx, tx, in, ids); err != nil {
			return err
		}
		return im.record(ctx, tx, ids)
	})
	if err != nil {
		return err
	}
	im.res.Created += created
	im.res.Skipped += len(cands) - created // taken since the check, by a parallel sign-up
	return nil
}

// invite queues, in tx, the invitations of the created users without a
// password, when the import asks for them.
func (im *importer) invite(ctx context.Context, tx store.Repos, in []store.ImportedUser, ids []string) error {
	if !im.opt.SendInvites {
		return nil
	}
	made := make(map[string]bool, len(ids))
	for _, id := range ids {
		made[id] = true
	}
	for i := range in {
		u := &in[i].User
		if !made[u.ID] || u.PasswordHash != "" {
			continue
		}
		if err := im.s.cfg.Auth.QueueInvite(ctx, tx, u.ID); err != nil {
			return err
		}
	}
	return nil
}

// record writes the audit row and UserCreated event of every created
// user.
func (im *importer) record(ctx context.Context, tx store.Repos, ids []string) error {
	entries := make([]store.AuditEntry, len(ids))
	events := make([]store.Event, len(ids))
	for i, id := range ids {
		entries[i] = im.s.cfg.Audit.Prepare(ctx, audit.Entry{Action: ActionImport, TargetID: id})
		events[i] = im.s.cfg.Events.Prepare(ctx, store.EventUserCreated, id, map[string]any{"source": "import"})
	}
	if err := tx.Bulk().RecordAudit(ctx, entries); err != nil {
		return err
	}
	return tx.Bulk().AppendEvents(ctx, events)
}
