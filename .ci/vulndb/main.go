// Command vulndb is the offline half of the govulncheck step of .ci/run.
//
// With -osv and -out it turns the OSV files of the golang.org/x/vulndb
// module (its data/osv folder, fetched through the Go module proxy) into
// the database layout govulncheck reads with -db file://DIR:
// index/db.json, index/modules.json, index/vulns.json and ID/<id>.json
// (https://go.dev/security/vuln/database#api). ID is a symbolic link to
// the OSV folder, whose files are already named <id>.json.
//
//	go run ./.ci/vulndb -osv "$vulndb/data/osv" -out "$db"
//
// With -report it reads the JSON stream of govulncheck -format json from
// standard input, prints each vulnerability the code calls, and exits 1
// when any of them is in a module; those of the standard library (and
// the toolchain) are printed but do not fail, as only a new Go release
// fixes them.
//
//	govulncheck -db "file://$db" -format json ./... | go run ./.ci/vulndb -report
//
// The modules index leaves out each vulnerability's "fixed" version: it
// is only a hint that lets govulncheck skip fetching entries, which then
// filters every entry by its affected ranges anyway.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

func main() {
	osvDir := flag.String("osv", "", "folder of OSV JSON files (data/osv of golang.org/x/vulndb)")
	out := flag.String("out", "", "folder to write the database to")
	rep := flag.Bool("report", false, "read govulncheck -format json from standard input and judge it")
	flag.Parse()
	if *rep {
		failed, err := report(os.Stdin, os.Stdout)
		if err != nil {
			log.Fatal("vulndb: ", err)
		}
		if failed {
			os.Exit(1)
		}
		return
	}
	if *osvDir == "" || *out == "" {
		log.Fatal("vulndb: -osv and -out, or -report, are required")
	}
	n, err := build(*osvDir, *out)
	if err != nil {
		log.Fatal("vulndb: ", err)
	}
	fmt.Printf("vulndb: %d entries written to %s\n", n, *out)
}

func build(osvDir, out string) (int, error) {
	files, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, errors.New("no OSV files in " + osvDir)
	}
	abs, err := filepath.Abs(osvDir)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	if err := os.Symlink(abs, filepath.Join(out, "ID")); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Join(out, "index"), 0o755); err != nil {
		return 0, err
	}
	var (
		latest  time.Time
		modules = map[string]*module{}
		vulns   []vuln
	)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		if e.ID == "" || filepath.Base(f) != e.ID+".json" {
			return 0, fmt.Errorf("%s: file name does not match id %q", f, e.ID)
		}
		if e.Modified.After(latest) {
			latest = e.Modified
		}
		vulns = append(vulns, vuln{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		seen := map[string]bool{}
		for _, a := range e.Affected {
			p := a.Package.Name
			if p == "" || seen[p] {
				continue
			}
			seen[p] = true
			m := modules[p]
			if m == nil {
				m = &module{Path: p}
				modules[p] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified})
		}
	}
	mods := make([]*module, 0, len(modules))
	for _, m := range modules {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	sort.Slice(vulns, func(i, j int) bool { return strings.Compare(vulns[i].ID, vulns[j].ID) < 0 })
	for name, v := range map[string]any{
		"db.json":      map[string]time.Time{"modified": latest},
		"modules.json": mods,
		"vulns.json":   vulns,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(out, "index", name), b, 0o644); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}

// finding is the part of a govulncheck JSON finding that report needs.
type finding struct {
	OSV          string `json:"osv"`
	FixedVersion string `json:"fixed_version"`
	Trace        []struct {
		Module   string `json:"module"`
		Version  string `json:"version"`
		Package  string `json:"package"`
		Function string `json:"function"`
		Receiver string `json:"receiver"`
	} `json:"trace"`
}

// report prints the vulnerabilities the code calls and says whether any
// is in a module rather than the standard library or the toolchain.
func report(r io.Reader, w io.Writer) (failed bool, err error) {
	dec := json.NewDecoder(r)
	summaries := map[string]string{}
	type called struct{ module, version, fixed, symbol string }
	found := map[string]called{}
	var order []string
	configs := 0
	for {
		var msg struct {
			Config json.RawMessage `json:"config"`
			OSV    *struct {
				ID      string `json:"id"`
				Summary string `json:"summary"`
			} `json:"osv"`
			Finding *finding `json:"finding"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return false, fmt.Errorf("read govulncheck output: %w", err)
		}
		if msg.Config != nil {
			configs++
		}
		if msg.OSV != nil {
			summaries[msg.OSV.ID] = msg.OSV.Summary
		}
		f := msg.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue // imported or required only: the code does not call it
		}
		if _, ok := found[f.OSV]; ok {
			continue
		}
		t := f.Trace[0]
		sym := t.Package + "." + t.Function
		if t.Receiver != "" {
			sym = t.Package + "." + strings.TrimPrefix(t.Receiver, "*") + "." + t.Function
		}
		found[f.OSV] = called{module: t.Module, version: t.Version, fixed: f.FixedVersion, symbol: sym}
		order = append(order, f.OSV)
	}
	if configs == 0 {
		return false, errors.New("no govulncheck output (did it run?)")
	}
	sort.Strings(order)
	modules, std := 0, 0
	for _, id := range order {
		c := found[id]
		kind := "module"
		if c.module == "stdlib" || c.module == "toolchain" {
			kind = "Go " + c.module + " (reported, not failing: needs a newer Go release)"
			std++
		} else {
			modules++
		}
		fixed := c.fixed
		if fixed == "" {
			fixed = "not fixed"
		}
		fmt.Fprintf(w, "%s  %s@%s, fixed in %s; %s\n    %s\n    called: %s\n", id, c.module, c.version, fixed, kind, summaries[id], c.symbol)
	}
	fmt.Fprintf(w, "govulncheck: %d called vulnerabilities in modules, %d in the Go standard library or toolchain\n", modules, std)
	return modules > 0, nil
}
