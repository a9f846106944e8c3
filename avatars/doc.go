// Package avatars accepts, checks, resizes, stores and serves profile
// images.
//
// An upload is judged by its bytes, never by its name or the client's
// Content-Type: PNG, JPEG, GIF and WebP are accepted. The size is capped
// while reading (MaxBytes), the dimensions are read from the header before
// anything is decoded (MaxDimension), and at most Config.Decoders images
// are decoded at once, so memory stays bounded however many uploads
// arrive. The image is then decoded and re-encoded (JPEG when opaque, PNG
// when it has transparency) into square renditions of Config.Sizes, so
// that no metadata (EXIF with GPS, comments, trailing bytes of a polyglot)
// survives and no animation is kept.
//
// The files live in a gocloud.dev/blob bucket: a local directory
// (fileblob) by default, or any bucket the host opens (S3, GCS, Azure).
// Object names are "<userID>_<random id>_<size>.<ext>": random, never from
// user input, and prefixed by the user so that erasure finds every file of
// a user, leftovers included. Objects are immutable; a new avatar gets new
// names and the old objects are deleted once the new one is committed.
//
// A direct upload is signed by SignUpload and completed by PutSigned: the
// URL carries an HMAC over the object id, the user, the content type, the
// maximum length and the expiry, and is spent on first use.
//
//	svc, err := avatars.New(avatars.Config{Store: st, Audit: log, RBAC: rb, Bucket: bucket,
//		FileURL: "https://app.example.com/api/v1/avatars", UploadURL: "https://app.example.com/api/v1/upload/avatar"})
//	res, err := svc.Upload(ctx, userID, file)
package avatars
