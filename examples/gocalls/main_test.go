package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "sqlite://:memory:", usermgmt.WithHasher(auth.Bcrypt{Cost: 4})))
	assert.Equal(t, "registered ada@example.com\n"+
		"signed in without 2FA: true\n"+
		"signed in with 2FA: true\n"+
		"ada@example.com may USER_READ: false\n"+
		"ada@example.com may USER_DELETE: false\n"+
		"system may USER_DELETE: true\n", out.String())
}

func TestActorCan(t *testing.T) {
	_, err := actorCan(context.Background(), nil, "USER_READ")
	assert.ErrorIs(t, err, store.ErrUnauthenticated, "no actor, no answer")
}
