package export_test

import (
	"io"
	"testing"

	"github.com/portcullis/portcullis/audit/export"
)

// BenchmarkWrite measures each format's Write of a fully populated event
// (about 600 bytes of payload); records/s is the figure to read.
func BenchmarkWrite(b *testing.B) {
	recs := sampleRecords(b, 256)
	for _, f := range allFormats {
		b.Run(string(f), func(b *testing.B) {
			w, err := export.New(io.Discard, f, export.Options{Host: "gw1"})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if err := w.Write(recs[i%len(recs)]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
