// Package testkit holds the helpers that several of the module's test
// packages share: a settable clock, a mailbox that captures what the
// library mails and texts, an in-process SMTP server, and an RFC 4226 /
// RFC 6238 reference for one-time codes.
//
// It is for tests only. notify's non-test code must not import it (testkit
// imports notify); notify's external tests may.
package testkit
