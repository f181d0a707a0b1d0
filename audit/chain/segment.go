package chain

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const segmentExt = ".jsonl"

// segmentName is the file name of segment n.
func segmentName(n int) string { return fmt.Sprintf("%08d%s", n, segmentExt) }

// listSegments returns the segment numbers in dir, ascending. Files that are not
// segments are ignored.
func listSegments(dir string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing audit chain segments: %w", err)
	}
	var nums []int
	for _, e := range entries {
		name := e.Name()
		base, ok := strings.CutSuffix(name, segmentExt)
		if !ok || e.IsDir() || base == "" {
			continue
		}
		n, err := strconv.Atoi(base)
		if err != nil || n <= 0 || segmentName(n) != name {
			continue
		}
		nums = append(nums, n)
	}
	sort.Ints(nums)
	return nums, nil
}

func segmentPath(dir string, n int) string { return filepath.Join(dir, segmentName(n)) }
