package nativeapi

import (
	"strconv"
	"time"

	"github.com/jointcloud/jcs/engine"
)

// The wire types of the /v1 API, defined once here and kept apart from engine types so that
// the JSON stays stable while the engine changes. Field names follow the seed document.

// envelope wraps every JSON response: {"code","message","data"}. RequestID is set on errors.
type envelope struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Data      any    `json:"data"`
	RequestID string `json:"requestId,omitempty"`
}

type bucketDTO struct {
	BucketID   engine.BucketID `json:"bucketID"`
	Name       string          `json:"name"`
	CreateTime time.Time       `json:"createTime"`
}

func toBucket(b engine.Bucket) bucketDTO {
	return bucketDTO{BucketID: b.ID, Name: b.Name, CreateTime: b.CreateTime}
}

type packageDTO struct {
	PackageID  engine.PackageID `json:"packageID"`
	Name       string           `json:"name"`
	BucketID   engine.BucketID  `json:"bucketID"`
	CreateTime time.Time        `json:"createTime"`
}

func toPackage(p engine.Package) packageDTO {
	return packageDTO{PackageID: p.ID, Name: p.Name, BucketID: p.BucketID, CreateTime: p.CreateTime}
}

type redundancyDTO struct {
	Type      engine.RedundancyType `json:"type"`
	RepCount  int                   `json:"repCount,omitempty"`
	K         int                   `json:"k,omitempty"`
	N         int                   `json:"n,omitempty"`
	ChunkSize int                   `json:"chunkSize,omitempty"`
}

// objectDTO is an object as /v1 shows it; size is a JSON string.
type objectDTO struct {
	ObjectID   engine.ObjectID  `json:"objectID"`
	PackageID  engine.PackageID `json:"packageID"`
	Path       string           `json:"path"`
	Size       string           `json:"size"`
	FileHash   string           `json:"fileHash"`
	Redundancy redundancyDTO    `json:"redundancy"`
	CreateTime time.Time        `json:"createTime"`
	UpdateTime time.Time        `json:"updateTime"`
}

func toObject(o engine.Object) objectDTO {
	r := o.Redundancy
	return objectDTO{
		ObjectID:   o.ID,
		PackageID:  o.PackageID,
		Path:       o.Path,
		Size:       strconv.FormatInt(o.Size, 10),
		FileHash:   o.FileHash(),
		Redundancy: redundancyDTO{Type: r.Type, RepCount: r.RepCount, K: r.K, N: r.N, ChunkSize: r.ChunkSize},
		CreateTime: o.CreateTime,
		UpdateTime: o.UpdateTime,
	}
}

func toObjects(objs []engine.Object) []objectDTO {
	out := make([]objectDTO, len(objs))
	for i, o := range objs {
		out[i] = toObject(o)
	}
	return out
}

// Requests.

type createBucketRequest struct {
	UserID int64  `json:"userID"` // accepted for compatibility; the signer's identity decides
	Name   string `json:"name"`
}

type bucketIDRequest struct {
	BucketID engine.BucketID `json:"bucketID"`
}

type createPackageRequest struct {
	BucketID engine.BucketID `json:"bucketID"`
	Name     string          `json:"name"`
}

type packageIDRequest struct {
	PackageID engine.PackageID `json:"packageID"`
}

// uploadInfo is the "info" part of an upload.
type uploadInfo struct {
	PackageID engine.PackageID `json:"packageID"`
	Affinity  engine.SpaceID   `json:"affinity"`
}

type moveRequest struct {
	Movings []struct {
		ObjectID  engine.ObjectID  `json:"objectID"`
		PackageID engine.PackageID `json:"packageID"`
		Path      string           `json:"path"`
	} `json:"movings"`
}

type deleteObjectsRequest struct {
	ObjectIDs []engine.ObjectID `json:"objectIDs"`
}

type cloneRequest struct {
	Clonings []struct {
		ObjectID     engine.ObjectID  `json:"objectID"`
		NewPath      string           `json:"newPath"`
		NewPackageID engine.PackageID `json:"newPackageID"`
	} `json:"clonings"`
}

type newMultipartRequest struct {
	PackageID engine.PackageID `json:"packageID"`
	Path      string           `json:"path"`
}

// uploadPartInfo is the "info" part of uploadPart.
type uploadPartInfo struct {
	ObjectID engine.ObjectID `json:"objectID"`
	Index    *int            `json:"index"`
}

type completeRequest struct {
	ObjectID engine.ObjectID `json:"objectID"`
	Indexes  []int           `json:"indexes"`
}

// Responses.

type listObjectsResponse struct {
	NextContinuationToken string      `json:"nextContinuationToken"`
	IsTruncated           bool        `json:"isTruncated"`
	CommonPrefixes        []string    `json:"commonPrefixes"`
	Objects               []objectDTO `json:"objects"`
}
