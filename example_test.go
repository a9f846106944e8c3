package usermgmt_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// A host opens a store, builds the Manager, migrates, and mounts the
// handler under its own prefix.
func Example() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		log.Fatal(err)
	}
	m, err := usermgmt.New(st, usermgmt.WithBaseURL("https://app.example.com"))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	if err := m.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", m.Handler()))

	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/api/v1/health")
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	fmt.Println(res.StatusCode, string(body))
	// Output: 200 {"status":"healthy"}
}

// A misconfigured option fails New with an error that names it.
func ExampleNew_misconfigured() {
	st, err := bunstore.Open(context.Background(), "sqlite://:memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	_, err = usermgmt.New(st, usermgmt.WithBaseURL("not a url"), usermgmt.WithTrustedProxies("10.0.0.0/33"))
	fmt.Println(err)
	// Output:
	// usermgmt: WithTrustedProxies: "10.0.0.0/33" is not an IP address or CIDR prefix
	// WithBaseURL: want an absolute http or https URL
}
