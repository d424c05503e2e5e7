// Command flux-oracle answers tag-selection questions with the real Go code that Flux runs, so the
// TypeScript model in lib/flux can be tested against it (tests/unit/oracle.test.ts).
//
// The selection below is a line-for-line copy of fluxcd/source-controller
// internal/controller/ocirepository_controller.go getTagBySemver + filterTags (Masterminds/semver v3.5.0
// and fluxcd/pkg/version v0.16.0, the versions in source-controller's go.mod); registry listing and the
// Helm `_`/`+` tag conversion are left out.
//
// Input: one JSON request per line on stdin. Output: one JSON answer per line on stdout.
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"sort"

	"github.com/Masterminds/semver/v3"
	"github.com/fluxcd/pkg/version"
)

type request struct {
	Op         string   `json:"op"`
	Tags       []string `json:"tags"`
	Constraint string   `json:"constraint"`
	Filter     string   `json:"filter"`
}

type answer struct {
	Tag      *string `json:"tag,omitempty"`
	Error    string  `json:"error,omitempty"`
	Parsed   []bool  `json:"parsed,omitempty"`
	Admitted []bool  `json:"admitted,omitempty"`
	Order    []int   `json:"order,omitempty"`
	Matched  []bool  `json:"matched,omitempty"`
}

func filterTags(filter string, tags []string) ([]string, error) {
	if filter == "" {
		return tags, nil
	}
	match, err := regexp.Compile(filter)
	if err != nil {
		return nil, err
	}
	validTags := []string{}
	for _, tag := range tags {
		if match.MatchString(tag) {
			validTags = append(validTags, tag)
		}
	}
	return validTags, nil
}

func selectTag(r request) answer {
	validTags, err := filterTags(r.Filter, r.Tags)
	if err != nil {
		return answer{Error: "filter: " + err.Error()}
	}
	constraint, err := semver.NewConstraint(r.Constraint)
	if err != nil {
		return answer{Error: "constraint: " + err.Error()}
	}
	var matching []*semver.Version
	for _, t := range validTags {
		v, err := version.ParseVersion(t)
		if err != nil {
			continue
		}
		if constraint.Check(v) {
			matching = append(matching, v)
		}
	}
	if len(matching) == 0 {
		return answer{}
	}
	sort.Sort(sort.Reverse(semver.Collection(matching)))
	s := matching[0].Original()
	return answer{Tag: &s}
}

// check reports, per tag, whether fluxcd/pkg/version.ParseVersion accepts it and whether the constraint admits it.
func check(r request) answer {
	a := answer{Parsed: make([]bool, len(r.Tags)), Admitted: make([]bool, len(r.Tags))}
	c, err := semver.NewConstraint(r.Constraint)
	if err != nil {
		return answer{Error: "constraint: " + err.Error()}
	}
	for i, t := range r.Tags {
		v, err := version.ParseVersion(t)
		if err != nil {
			continue
		}
		a.Parsed[i] = true
		a.Admitted[i] = c.Check(v)
	}
	return a
}

// filter reports, per tag, whether regexp.Compile(filter).MatchString(tag) (filterTags' test) is true.
func filter(r request) answer {
	re, err := regexp.Compile(r.Filter)
	if err != nil {
		return answer{Error: "filter: " + err.Error()}
	}
	a := answer{Matched: make([]bool, len(r.Tags))}
	for i, t := range r.Tags {
		a.Matched[i] = re.MatchString(t)
	}
	return a
}

// compare returns Masterminds' Compare of tags[0] with each tag (2 when a tag does not parse).
func compare(r request) answer {
	a := answer{Order: make([]int, len(r.Tags))}
	base, err := semver.NewVersion(r.Tags[0])
	for i, t := range r.Tags {
		v, err2 := semver.NewVersion(t)
		if err != nil || err2 != nil {
			a.Order[i] = 2
			continue
		}
		a.Order[i] = base.Compare(v)
	}
	return a
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var r request
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			_ = out.Encode(answer{Error: "request: " + err.Error()})
			continue
		}
		switch r.Op {
		case "select":
			_ = out.Encode(selectTag(r))
		case "check":
			_ = out.Encode(check(r))
		case "filter":
			_ = out.Encode(filter(r))
		case "compare":
			_ = out.Encode(compare(r))
		default:
			_ = out.Encode(answer{Error: "unknown op " + r.Op})
		}
	}
}
