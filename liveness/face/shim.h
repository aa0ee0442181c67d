// C interface to the C++ shim around dlib's 68-point shape predictor and
// the one OpenCV call gocv v0.31 lacks.
#ifndef CERTKIOSK_FACE_SHIM_H
#define CERTKIOSK_FACE_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void *ckPredictor;

// ckLoadPredictor deserialises a 68-point shape predictor into flat arrays
// (dlib's landmarks exactly, faster). On failure it returns NULL and copies
// the reason into err (at most errLen bytes).
ckPredictor ckLoadPredictor(const char *path, char *err, int errLen);
void ckFreePredictor(ckPredictor p);

// ckPredict runs the predictor on an 8-bit grey image (rows × cols, row
// stride in bytes) inside the box (left, top, right, bottom) and writes 68
// (x, y) pairs into out. Returns the number of parts, 0 on failure.
int ckPredict(ckPredictor p, const unsigned char *data, int rows, int cols, int stride,
              long left, long top, long right, long bottom, double *out);

// ckLoadReference, ckFreeReference and ckPredictReference are the same
// with dlib's own shape_predictor: the tests' reference.
ckPredictor ckLoadReference(const char *path, char *err, int errLen);
void ckFreeReference(ckPredictor p);
int ckPredictReference(ckPredictor p, const unsigned char *data, int rows, int cols, int stride,
                       long left, long top, long right, long bottom, double *out);

// ckDetectHOG runs dlib's HOG frontal face detector (the detector the
// 68-point model was trained with; five filters: frontal, turned left and
// right, tilted left and right) on an 8-bit grey image and writes up to
// maxBoxes boxes as (left, top, right, bottom) with right and bottom
// exclusive, best first. Returns the number of boxes, -1 on failure.
int ckDetectHOG(const unsigned char *data, int rows, int cols, int stride, double threshold, int *out, int maxBoxes);

// ckSetNumThreads sets OpenCV's thread count (cv::setNumThreads).
void ckSetNumThreads(int n);
int ckGetNumThreads(void);

#ifdef __cplusplus
}
#endif
#endif
