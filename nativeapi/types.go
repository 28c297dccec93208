package nativeapi

import (
	"encoding/json"
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

// User spaces.

// redactedSecret is what responses show for a secret access key that is set: the field is
// write-only, and no response carries a secret.
const redactedSecret = "<redacted>"

// storageDTO says where a user space's storage is. Which fields apply depends on type: path
// for Local, the others for the S3 family.
type storageDTO struct {
	Type      string `json:"type"`
	Path      string `json:"path,omitempty"`
	Endpoint  string `json:"endpoint"`
	Region    string `json:"region"`
	Bucket    string `json:"bucket"`
	ProjectID string `json:"projectID"`
	PathStyle bool   `json:"pathStyle,omitempty"`
}

// credentialDTO holds what opens a user space's storage. In responses SecretAccessKey is
// redactedSecret when set.
type credentialDTO struct {
	Type            string `json:"type"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

type shardStoreDTO struct {
	MaxSize int64 `json:"maxSize"`
}

// userSpaceDTO is a user space as /v1 shows it, secret redacted.
type userSpaceDTO struct {
	UserSpaceID engine.SpaceID    `json:"userSpaceID"`
	Name        string            `json:"name"`
	Storage     storageDTO        `json:"storage"`
	Credential  credentialDTO     `json:"credential"`
	ShardStore  *shardStoreDTO    `json:"shardStore"` // null: the space holds no shards
	Features    []json.RawMessage `json:"features"`   // always []: no feature is supported
	WorkingDir  string            `json:"workingDir"`
	Revision    int64             `json:"revision"`
	Draining    bool              `json:"draining"`
}

func toUserSpace(us engine.UserSpace) userSpaceDTO {
	st, c := us.Storage, us.Credential
	out := userSpaceDTO{
		UserSpaceID: us.ID,
		Name:        us.Name,
		Storage: storageDTO{Type: st.Type, Path: st.Path, Endpoint: st.Endpoint, Region: st.Region,
			Bucket: st.Bucket, ProjectID: st.ProjectID, PathStyle: st.PathStyle},
		Credential: credentialDTO{Type: c.Type, AccessKeyID: c.AccessKeyID},
		Features:   []json.RawMessage{},
		WorkingDir: us.WorkingDir,
		Revision:   us.Revision,
		Draining:   us.Draining,
	}
	if c.SecretAccessKey != "" {
		out.Credential.SecretAccessKey = redactedSecret
	}
	if us.ShardStore != nil {
		out.ShardStore = &shardStoreDTO{MaxSize: us.ShardStore.MaxSize}
	}
	return out
}

// pathFailureDTO is a file or object that createPackage or downloadPackage could not move.
type pathFailureDTO struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

func toFailures(fs []engine.PathFailure) []pathFailureDTO {
	out := make([]pathFailureDTO, len(fs))
	for i, f := range fs {
		out[i] = pathFailureDTO{Path: f.Path, Error: f.Err}
	}
	return out
}

// userSpaceConfig is the body of userSpace/create, and of userSpace/test, which ignores name
// and shardStore.
type userSpaceConfig struct {
	Name       string            `json:"name"`
	Storage    storageDTO        `json:"storage"`
	Credential credentialDTO     `json:"credential"`
	ShardStore *shardStoreDTO    `json:"shardStore"`
	Features   []json.RawMessage `json:"features"`
	WorkingDir string            `json:"workingDir"`
}

// updateUserSpaceRequest is the body of userSpace/update. An absent field is left as it is;
// shardStore null turns the shard store off.
type updateUserSpaceRequest struct {
	UserSpaceID engine.SpaceID  `json:"userSpaceID"`
	Name        *string         `json:"name"`
	Credential  *credentialDTO  `json:"credential"`
	ShardStore  json.RawMessage `json:"shardStore"`
}

type deleteUserSpaceRequest struct {
	UserSpaceID engine.SpaceID `json:"userSpaceID"`
	Drain       bool           `json:"drain"`
}

type importPackageRequest struct {
	UserSpaceID   engine.SpaceID  `json:"userSpaceID"`
	Path          string          `json:"path"`
	BucketID      engine.BucketID `json:"bucketID"`
	Name          string          `json:"name"`
	SpaceAffinity engine.SpaceID  `json:"spaceAffinity"`
}

type exportPackageRequest struct {
	UserSpaceID engine.SpaceID   `json:"userSpaceID"`
	PackageID   engine.PackageID `json:"packageID"`
	RootPath    string           `json:"rootPath"`
}

// importPackageResponse is the data of userSpace/createPackage: the seed's package, with how
// many objects it got and the files that failed.
type importPackageResponse struct {
	Package packageDTO       `json:"package"`
	Objects int              `json:"objects"`
	Failed  []pathFailureDTO `json:"failed"`
}

// exportPackageResponse is the data of userSpace/downloadPackage.
type exportPackageResponse struct {
	Objects int              `json:"objects"`
	Failed  []pathFailureDTO `json:"failed"`
}
