package gdpr_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/gdpr"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// Erase a user, then look at what the audit log kept: the entries stay,
// under a pseudonym.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "gdpr-example")
	defer os.RemoveAll(dir)
	st, err := bunstore.Open(ctx, "sqlite://"+filepath.Join(dir, "users.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	log := audit.New(st, nil)
	svc, err := gdpr.New(gdpr.Config{Store: st, Audit: log, RBAC: rbac.New(st, log, nil)})
	if err != nil {
		panic(err)
	}

	u := &store.User{Email: "ada@example.com", FirstName: "Ada"}
	if err := st.Users().Create(ctx, u); err != nil {
		panic(err)
	}
	ctx = store.NewContextWithActor(ctx, store.Actor{UserID: u.ID})
	_ = log.RecordNow(ctx, audit.Entry{Action: "auth.login", TargetID: u.ID})

	var export strings.Builder
	if err := svc.Export(ctx, u.ID, &export); err != nil {
		panic(err)
	}
	var doc struct {
		Profile    struct{ Email string }
		AuditTrail []struct{ Action string }
	}
	_ = json.Unmarshal([]byte(export.String()), &doc)
	// The trail holds the login and the export itself, which is audited.
	fmt.Println("export:", doc.Profile.Email, len(doc.AuditTrail), "audit entries")

	if err := svc.Erase(ctx, u.ID); err != nil {
		panic(err)
	}
	_, err = st.Users().ByID(ctx, u.ID)
	fmt.Println("user:", err)
	n, _ := st.Audit().Count(ctx, store.AuditFilter{UserID: u.ID})
	fmt.Println("entries naming the user:", n)
	all, _ := st.Audit().Count(ctx, store.AuditFilter{})
	fmt.Println("entries kept:", all)
	// Output:
	// export: ada@example.com 2 audit entries
	// user: USER_NOT_FOUND: user not found
	// entries naming the user: 0
	// entries kept: 3
}
