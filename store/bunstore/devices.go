package bunstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type knownDeviceModel struct {
	bun.BaseModel `bun:"table:known_devices,alias:kd"`

	UserID      string    `bun:"user_id,pk"`
	DeviceHash  string    `bun:"device_hash,pk"`
	FirstSeenAt time.Time `bun:"first_seen_at"`
}

// RememberDevice inserts the pair unless it exists: the primary key makes
// the insert the one place that decides "new", so two parallel sign-ins
// from one device cannot both see it new.
func (r sessions) RememberDevice(ctx context.Context, userID, deviceHash string, at time.Time) (isNew, hadOthers bool, err error) {
	err = r.write(func() error {
		res, err := r.db.NewInsert().Model(&knownDeviceModel{UserID: userID, DeviceHash: deviceHash, FirstSeenAt: utc(at)}).
			On("CONFLICT (user_id, device_hash) DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err != nil || n == 0 {
			return err
		}
		isNew = true
		hadOthers, err = r.db.NewSelect().Model((*knownDeviceModel)(nil)).
			Where("user_id = ? AND device_hash <> ?", userID, deviceHash).Exists(ctx)
		return err
	})
	if foreignKeyViolation(err) || invalidInput(err) {
		return false, false, store.ErrUserNotFound.Wrap(err)
	}
	return isNew, hadOthers, translate(err, nil)
}
