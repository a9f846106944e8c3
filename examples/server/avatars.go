package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/usermgmt/usermgmt"
)

// defaultAvatarDir is where avatars go when USERMGMT_AVATAR_DIR is unset:
// a folder named after the SQLite file, beside it (usermgmt.db:
// usermgmt-avatars), "" (in memory, like the database) for
// sqlite://:memory:, and ./usermgmt-avatars for PostgreSQL. Never plain
// "avatars": run from the repository, that is the avatars package's
// source folder.
func defaultAvatarDir(databaseURL string) string {
	path, ok := strings.CutPrefix(databaseURL, "sqlite://")
	if !ok {
		return "usermgmt-avatars"
	}
	path, _, _ = strings.Cut(path, "?")
	if path == ":memory:" || strings.Contains(path, "mode=memory") {
		return ""
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return filepath.Join(filepath.Dir(path), base+"-avatars")
}

// avatarStorage is the WithAvatarStorage option for dir: a fileblob
// directory, created if missing, or a memory bucket when dir is "". The
// bucket holds no open files, so it needs no closing.
func avatarStorage(dir string) (usermgmt.Option, error) {
	if dir == "" {
		return usermgmt.WithAvatarStorage(memblob.OpenBucket(nil), usermgmt.AvatarOptions{}), nil
	}
	// NoTempDir: files are written beside their final name, so the
	// rename works when the folder is on another file system than /tmp.
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{CreateDir: true, NoTempDir: true, DirFileMode: 0o750})
	if err != nil {
		return nil, fmt.Errorf("USERMGMT_AVATAR_DIR: %w", err)
	}
	return usermgmt.WithAvatarStorage(b, usermgmt.AvatarOptions{}), nil
}
