package avatars

import (
	"regexp"
	"strconv"
)

// objectName is the bucket key of one rendition:
// "<userID>_<avatarID>_<size>.<ext>". The user id comes first so that a
// listing by prefix finds every file of a user (see EraseUserFiles).
func objectName(userID, avatarID string, size int, ext string) string {
	return userID + "_" + avatarID + "_" + strconv.Itoa(size) + "." + ext
}

// avatarPrefix is the prefix of every rendition of one avatar.
func avatarPrefix(userID, avatarID string) string { return userID + "_" + avatarID + "_" }

const uuidPattern = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`

// validName matches the names objectName makes and nothing else: no
// slash, no dot but the extension's, so no path of any kind can be asked
// for.
var validName = regexp.MustCompile(`^` + uuidPattern + `_` + uuidPattern + `_[0-9]{2,4}\.(?:jpg|png)$`)
