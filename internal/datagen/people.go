package datagen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/usermgmt/usermgmt/store"
)

var firstNames = strings.Fields(`James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth
William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy
Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua
Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald Stephanie Edward
Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley
Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel
Katherine Gregory Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet Jack Catherine
Dennis Maria Jerry Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce Henry Virginia
Douglas Victoria Zachary Kelly Peter Lauren Kyle Christina Ethan Joan Walter Evelyn Noah Judith Jeremy
Megan Christian Andrea Keith Cheryl Roger Hannah Terry Jacqueline Gerald Martha Harold Gloria Sean Teresa
Austin Ann Carl Sara Arthur Madison Lawrence Frances Dylan Kathryn Jesse Janice Jordan Jean Bryan Abigail
Billy Alice Joe Judy Bruce Sophia Gabriel Grace Logan Denise Albert Amber Willie Doris Alan Marilyn Juan
Danielle Wayne Beverly Elijah Isabella Randy Theresa Roy Diana Vincent Natalie Ralph Brittany Eugene
Charlotte Russell Marie Bobby Kayla Mason Alexis Philip Lori Louis Amelie Ingrid Sven Yuki Hiroshi Mei
Wei Aisha Omar Fatima Ahmed Priya Arjun Chen Sofia Mateo Lucia Diego Camila Luca Giulia Lars Astrid`)

var lastNames = strings.Fields(`Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez
Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson
White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner
Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan
Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James
Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez
Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez
Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole
Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison
Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns
Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes
Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels
Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce
Hansen Larsen Novak Kowalski Tanaka Suzuki Yamamoto Rossi Bianchi Muller Schneider Dubois Moreau Kumar`)

var domains = []string{"example.com", "example.org", "example.net", "mail.test", "corp.example"}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
}

// person is generated user i with what hangs off it.
type person struct {
	index     int
	user      store.User
	role      string // "user", "moderator" or "admin"
	sessions  []store.Session
	twoFactor bool
}

// Email returns the address of user i. It is unique for every i.
func Email(i int) string {
	r := rng(0, i) // the address does not depend on the seed
	first, last := pick(r, firstNames), pick(r, lastNames)
	return fmt.Sprintf("%s.%s%d@%s", strings.ToLower(first), strings.ToLower(last), i, domains[i%len(domains)])
}

// Username returns the username of user i ("" for the users without one).
func Username(i int) string {
	if i%10 == 9 {
		return ""
	}
	r := rng(0, i)
	first, last := pick(r, firstNames), pick(r, lastNames)
	return fmt.Sprintf("%s%s%d", strings.ToLower(first[:1]), strings.ToLower(last), i)
}

func rng(seed uint64, i int) *rand.Rand { return rand.New(rand.NewPCG(seed, uint64(i))) }

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

// generate returns user i of seed, created before now.
func generate(seed uint64, i int, now time.Time, hash string) person {
	names := rng(0, i)
	first, last := pick(names, firstNames), pick(names, lastNames)
	r := rng(seed, i)
	created := now.Add(-time.Duration(r.Int64N(int64(730 * 24 * time.Hour)))).Truncate(time.Microsecond)
	u := store.User{
		ID: idAt(r, created), Email: Email(i), Username: Username(i),
		FirstName: first, LastName: last, DisplayName: first + " " + last,
		EmailVerified: r.IntN(100) < 80, Visibility: store.VisibilityPublic, Status: store.StatusActive,
		PasswordHash: hash, Preferences: store.DefaultPreferences(),
		CreatedAt: created, UpdatedAt: created,
	}
	if r.IntN(100) < 20 {
		u.Visibility = store.VisibilityPrivate
	}
	u.PasswordChangedAt = &u.CreatedAt
	switch n := r.IntN(100); {
	case n < 4:
		u.Status = store.StatusDeactivated
	case n < 6:
		u.Status = store.StatusSuspended
		u.SuspendedReason = "spam reports"
	case n < 7:
		u.Status = store.StatusLocked
	case n < 10:
		u.Status = store.StatusDeleted
		del := now.Add(-time.Duration(r.Int64N(int64(20 * 24 * time.Hour)))).Truncate(time.Microsecond)
		purge := del.Add(30 * 24 * time.Hour)
		u.DeletedAt, u.PurgeAfter = &del, &purge
	}
	p := person{index: i, user: u, role: "user"}
	switch {
	case i%10000 == 0:
		p.role = "admin"
	case i%1000 == 0:
		p.role = "moderator"
	}
	if r.IntN(100) < 70 {
		last := created.Add(time.Duration(r.Int64N(int64(now.Sub(created))))).Truncate(time.Microsecond)
		p.user.LastLoginAt = &last
	}
	if r.IntN(100) < 15 {
		p.twoFactor = true
		p.user.TwoFactorEnabled, p.user.TwoFactorMethod = true, string(store.MethodTOTP)
	}
	if p.user.Status == store.StatusActive && p.user.LastLoginAt != nil && r.IntN(100) < 40 {
		for k := 0; k < 1+r.IntN(2); k++ {
			seen := now.Add(-time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Microsecond)
			p.sessions = append(p.sessions, store.Session{
				ID: idAt(r, seen), UserID: u.ID, DeviceName: []string{"Laptop", "Phone", "Tablet"}[k%3],
				IP: fmt.Sprintf("198.51.100.%d", r.IntN(254)+1), UserAgent: pick(r, userAgents),
				CreatedAt: seen, LastSeenAt: seen, ExpiresAt: now.Add(7 * 24 * time.Hour),
			})
		}
	}
	return p
}

// idAt returns a UUIDv7 whose time is t, random bits from r, so ids sort
// like the creation times they were made at.
func idAt(r *rand.Rand, t time.Time) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	for k := 0; k < 6; k++ {
		b[k] = byte(ms >> (40 - 8*k))
	}
	rnd := r.Uint64()
	for k := 6; k < 14; k++ {
		b[k] = byte(rnd >> (8 * (k - 6)))
	}
	rnd = r.Uint64()
	b[14], b[15] = byte(rnd), byte(rnd>>8)
	b[6] = 0x70 | b[6]&0x0f // version 7
	b[8] = 0x80 | b[8]&0x3f // RFC 9562 variant
	return uuid.UUID(b).String()
}
