// C++ shim: dlib's shape predictor on a grey image owned by OpenCV/Go,
// without copying it, and OpenCV's thread count.
#include "shim.h"

#include <cstring>
#include <exception>
#include <string>

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/serialize.h>
#include <opencv2/core.hpp>

namespace dlib {
// grey_view lets dlib read an 8-bit image in place through its generic
// image interface (as dlib's own cv_image does).
struct grey_view {
    const unsigned char *data;
    long rows, cols, stride;
};
template <> struct image_traits<grey_view> {
    typedef unsigned char pixel_type;
};
inline long num_rows(const grey_view &img) { return img.rows; }
inline long num_columns(const grey_view &img) { return img.cols; }
inline long width_step(const grey_view &img) { return img.stride; }
inline const void *image_data(const grey_view &img) { return img.data; }
inline void *image_data(grey_view &img) { return const_cast<unsigned char *>(img.data); }
} // namespace dlib

extern "C" {

ckPredictor ckLoadPredictor(const char *path, char *err, int errLen) {
    try {
        auto *sp = new dlib::shape_predictor();
        try {
            dlib::deserialize(path) >> *sp;
        } catch (...) {
            delete sp;
            throw;
        }
        if (sp->num_parts() != 68) {
            std::string msg = "model has " + std::to_string(sp->num_parts()) + " parts, want 68";
            delete sp;
            std::strncpy(err, msg.c_str(), errLen - 1);
            err[errLen - 1] = 0;
            return nullptr;
        }
        return sp;
    } catch (const std::exception &e) {
        std::strncpy(err, e.what(), errLen - 1);
        err[errLen - 1] = 0;
    } catch (...) {
        std::strncpy(err, "unknown error", errLen - 1);
        err[errLen - 1] = 0;
    }
    return nullptr;
}

void ckFreePredictor(ckPredictor p) { delete static_cast<dlib::shape_predictor *>(p); }

int ckPredict(ckPredictor p, const unsigned char *data, int rows, int cols, int stride,
              long left, long top, long right, long bottom, double *out) {
    try {
        auto *sp = static_cast<dlib::shape_predictor *>(p);
        dlib::grey_view img{data, rows, cols, stride};
        dlib::full_object_detection d = (*sp)(img, dlib::rectangle(left, top, right, bottom));
        int n = static_cast<int>(d.num_parts());
        for (int i = 0; i < n; i++) {
            out[2 * i] = d.part(i).x();
            out[2 * i + 1] = d.part(i).y();
        }
        return n;
    } catch (...) {
        return 0;
    }
}

int ckDetectHOG(const unsigned char *data, int rows, int cols, int stride, double threshold, int *out, int maxBoxes) {
    try {
        // The detector keeps scratch state while it runs: one per thread.
        thread_local dlib::frontal_face_detector det = dlib::get_frontal_face_detector();
        dlib::grey_view img{data, rows, cols, stride};
        std::vector<dlib::rect_detection> found;
        det(img, found, threshold);
        int n = 0;
        for (const auto &d : found) {
            if (n >= maxBoxes) break;
            out[4 * n] = static_cast<int>(d.rect.left());
            out[4 * n + 1] = static_cast<int>(d.rect.top());
            out[4 * n + 2] = static_cast<int>(d.rect.right()) + 1;
            out[4 * n + 3] = static_cast<int>(d.rect.bottom()) + 1;
            n++;
        }
        return n;
    } catch (...) {
        return -1;
    }
}

void ckSetNumThreads(int n) { cv::setNumThreads(n); }
int ckGetNumThreads(void) { return cv::getNumThreads(); }
}
