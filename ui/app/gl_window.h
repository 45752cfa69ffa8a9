// RAII for GLFW, its window, the ImGui context with its GLFW/OpenGL3
// backends, and an offscreen framebuffer for screenshots.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct GLFWwindow;

namespace txray::ui {

class GlWindow {
public:
    // visible=false: a hidden window whose context renders offscreen.
    GlWindow(int w, int h, const char* title, bool visible);
    ~GlWindow();
    GlWindow(const GlWindow&) = delete;
    GlWindow& operator=(const GlWindow&) = delete;
    bool ok() const { return window_ != nullptr; }
    const std::string& error() const { return error_; }
    GLFWwindow* handle() const { return window_; }

    void begin_frame();  // backends + ImGui::NewFrame
    void render(int fb_w, int fb_h);  // ImGui::Render + draw into the bound framebuffer

private:
    GLFWwindow* window_ = nullptr;
    bool glfw_ = false, imgui_ = false;
    std::string error_;
};

// A colour framebuffer of w x h; bind() makes it the render target.
class OffscreenTarget {
public:
    OffscreenTarget(int w, int h);
    ~OffscreenTarget();
    OffscreenTarget(const OffscreenTarget&) = delete;
    OffscreenTarget& operator=(const OffscreenTarget&) = delete;
    bool ok() const { return ok_; }
    void bind();
    // RGBA rows, top row first.
    std::vector<std::uint8_t> read_rgba();
    int width() const { return w_; }
    int height() const { return h_; }

private:
    int w_, h_;
    unsigned fbo_ = 0, tex_ = 0;
    bool ok_ = false;
};

bool write_png(const std::string& path, int w, int h, const std::vector<std::uint8_t>& rgba);

}  // namespace txray::ui
