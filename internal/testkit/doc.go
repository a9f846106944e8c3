// Package testkit holds the helpers that several of the module's test
// packages share: a settable clock, a mailbox that captures what the
// library mails and texts, an in-process SMTP server, an RFC 4226 /
// RFC 6238 reference for one-time codes, real image files of every
// accepted type (and the hostile ones), and the avatar buckets: a local
// directory and S3 through an in-process S3 server (gofakes3).
//
// It is for tests only. notify's non-test code must not import it (testkit
// imports notify); notify's external tests may.
package testkit
