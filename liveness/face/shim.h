// C interface to the C++ shim around dlib's 68-point shape predictor and
// the one OpenCV call gocv v0.31 lacks.
#ifndef CERTKIOSK_FACE_SHIM_H
#define CERTKIOSK_FACE_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void *ckPredictor;

// ckLoadPredictor deserialises a shape predictor. On failure it returns
// NULL and copies the reason into err (at most errLen bytes).
ckPredictor ckLoadPredictor(const char *path, char *err, int errLen);
void ckFreePredictor(ckPredictor p);

// ckPredict runs the predictor on an 8-bit grey image (rows × cols, row
// stride in bytes) inside the box (left, top, right, bottom) and writes 68
// (x, y) pairs into out. Returns the number of parts, 0 on failure.
int ckPredict(ckPredictor p, const unsigned char *data, int rows, int cols, int stride,
              long left, long top, long right, long bottom, double *out);

// ckSetNumThreads sets OpenCV's thread count (cv::setNumThreads).
void ckSetNumThreads(int n);
int ckGetNumThreads(void);

#ifdef __cplusplus
}
#endif
#endif
