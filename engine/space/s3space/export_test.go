package s3space

// SetTuning replaces the sizes that decide how uploads travel (see tuning), so that tests
// reach the streaming and multipart paths with small blobs. partSize may go below S3's 5 MiB
// minimum: gofakes3 does not enforce it.
func SetTuning(s *Space, bufferMax, streamMax, partSize int64) {
	s.tune = tuning{bufferMax: bufferMax, streamMax: streamMax, partSize: partSize}
}
