package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func deviceCases() []testCase {
	return []testCase{
		{"RememberDevice", testRememberDevice},
		{"RememberDeviceConcurrent", testRememberDeviceConcurrent},
		{"RememberDeviceUnknownUser", testRememberDeviceUnknownUser},
	}
}

func testRememberDevice(t *testing.T, st store.Store) {
	ada, bob := newUser(t, st, "ada"), newUser(t, st, "bob")
	steps := []struct {
		user, device     string
		isNew, hadOthers bool
	}{
		{ada.ID, "laptop", true, false},
		{ada.ID, "laptop", false, false},
		{ada.ID, "phone", true, true},
		{ada.ID, "phone", false, false},
		{bob.ID, "laptop", true, false},
	}
	for i, s := range steps {
		isNew, others, err := st.Sessions().RememberDevice(ctx(t), s.user, s.device, base.Add(time.Duration(i)*time.Minute))
		require.NoError(t, err, i)
		assert.Equal(t, s.isNew, isNew, "step %d new", i)
		assert.Equal(t, s.hadOthers, others, "step %d others", i)
	}
}

func testRememberDeviceConcurrent(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	var wg sync.WaitGroup
	var mu sync.Mutex
	news := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			isNew, _, err := st.Sessions().RememberDevice(ctx(t), u.ID, "laptop", base)
			assert.NoError(t, err)
			if isNew {
				mu.Lock()
				news++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, news, "one sign-in sees the device new")
}

func testRememberDeviceUnknownUser(t *testing.T, st store.Store) {
	_, _, err := st.Sessions().RememberDevice(ctx(t), uuid.NewString(), "laptop", base)
	assert.ErrorIs(t, err, store.ErrUserNotFound)
}
