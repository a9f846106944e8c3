// Package datagen loads realistic users into a store for benchmarks and
// load scripts: names and addresses drawn from fixed lists, a spread of
// statuses, roles, verified addresses, 2FA enrolments and active
// sessions, sign-ups spread over two years. It is a measuring tool, not
// part of the library's runtime.
//
// Generation is deterministic: user i of a given seed is always the same
// (Email(i) names it), so a benchmark knows which accounts exist and what
// a search will find. Every account's password is Config.Password, hashed
// once with real bcrypt, so benchmarks can sign in as any of them.
//
// On PostgreSQL the rows go in with COPY (about a million users in well
// under a minute on two cores); on SQLite through the store in
// transactions of a few thousand users (about 100,000 a minute). The
// COPY path writes SQL of its own, the one place outside store/bunstore
// that does: it is kept here, next to the generator it serves, so that
// the store has no bulk-load API nobody else should call.
package datagen
