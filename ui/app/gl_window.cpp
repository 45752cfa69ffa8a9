#include "gl_window.h"

#define GL_GLEXT_PROTOTYPES 0
#include <GLFW/glfw3.h>
#include <GL/glext.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cstdio>

namespace txray::ui {
namespace {

// Framebuffer objects are core since GL 3.0; fetch them from the context.
struct FboApi {
    PFNGLGENFRAMEBUFFERSPROC gen = nullptr;
    PFNGLDELETEFRAMEBUFFERSPROC del = nullptr;
    PFNGLBINDFRAMEBUFFERPROC bind = nullptr;
    PFNGLFRAMEBUFFERTEXTURE2DPROC tex2d = nullptr;
    PFNGLCHECKFRAMEBUFFERSTATUSPROC status = nullptr;
    bool load() {
        gen = reinterpret_cast<PFNGLGENFRAMEBUFFERSPROC>(glfwGetProcAddress("glGenFramebuffers"));
        del = reinterpret_cast<PFNGLDELETEFRAMEBUFFERSPROC>(glfwGetProcAddress("glDeleteFramebuffers"));
        bind = reinterpret_cast<PFNGLBINDFRAMEBUFFERPROC>(glfwGetProcAddress("glBindFramebuffer"));
        tex2d = reinterpret_cast<PFNGLFRAMEBUFFERTEXTURE2DPROC>(glfwGetProcAddress("glFramebufferTexture2D"));
        status = reinterpret_cast<PFNGLCHECKFRAMEBUFFERSTATUSPROC>(glfwGetProcAddress("glCheckFramebufferStatus"));
        return gen && del && bind && tex2d && status;
    }
};
FboApi g_fbo;

void glfw_error(int code, const char* msg) { std::fprintf(stderr, "txray-ui: GLFW error %d: %s\n", code, msg); }

}  // namespace

GlWindow::GlWindow(int w, int h, const char* title, bool visible) {
    glfwSetErrorCallback(glfw_error);
    if (!glfwInit()) {
        error_ = "cannot initialise GLFW (no display? try xvfb-run -a)";
        return;
    }
    glfw_ = true;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE);
    window_ = glfwCreateWindow(w, h, title, nullptr, nullptr);
    if (!window_) {
        error_ = "cannot create an OpenGL 3.0 window";
        return;
    }
    glfwMakeContextCurrent(window_);
    glfwSwapInterval(1);
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    imgui_ = true;
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // the layout is fixed
    ImGui::StyleColorsDark();
    ImGuiStyle& st = ImGui::GetStyle();
    st.WindowRounding = 0;
    st.WindowBorderSize = 1;
    st.FrameRounding = 2;
    ImGui_ImplGlfw_InitForOpenGL(window_, true);
    ImGui_ImplOpenGL3_Init("#version 130");
}

GlWindow::~GlWindow() {
    if (imgui_) {
        ImGui_ImplOpenGL3_Shutdown();
        ImGui_ImplGlfw_Shutdown();
        ImGui::DestroyContext();
    }
    if (window_) glfwDestroyWindow(window_);
    if (glfw_) glfwTerminate();
}

void GlWindow::begin_frame() {
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
}

void GlWindow::render(int fb_w, int fb_h) {
    ImGui::Render();
    glViewport(0, 0, fb_w, fb_h);
    glClearColor(0.09f, 0.09f, 0.11f, 1.f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

OffscreenTarget::OffscreenTarget(int w, int h) : w_(w), h_(h) {
    if (!g_fbo.gen && !g_fbo.load()) return;
    glGenTextures(1, &tex_);
    glBindTexture(GL_TEXTURE_2D, tex_);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    g_fbo.gen(1, &fbo_);
    g_fbo.bind(GL_FRAMEBUFFER, fbo_);
    g_fbo.tex2d(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex_, 0);
    ok_ = g_fbo.status(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
}

OffscreenTarget::~OffscreenTarget() {
    if (fbo_) {
        g_fbo.bind(GL_FRAMEBUFFER, 0);
        g_fbo.del(1, &fbo_);
    }
    if (tex_) glDeleteTextures(1, &tex_);
}

void OffscreenTarget::bind() { g_fbo.bind(GL_FRAMEBUFFER, fbo_); }

std::vector<std::uint8_t> OffscreenTarget::read_rgba() {
    bind();
    std::vector<std::uint8_t> px(static_cast<std::size_t>(w_) * static_cast<std::size_t>(h_) * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w_, h_, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
    // GL's first row is the bottom one.
    const std::size_t row = static_cast<std::size_t>(w_) * 4;
    std::vector<std::uint8_t> out(px.size());
    for (int y = 0; y < h_; ++y)
        std::copy_n(px.begin() + static_cast<std::ptrdiff_t>(row * static_cast<std::size_t>(h_ - 1 - y)), row,
                    out.begin() + static_cast<std::ptrdiff_t>(row * static_cast<std::size_t>(y)));
    for (std::size_t i = 3; i < out.size(); i += 4) out[i] = 255;  // opaque PNG
    return out;
}

bool write_png(const std::string& path, int w, int h, const std::vector<std::uint8_t>& rgba) {
    return stbi_write_png(path.c_str(), w, h, 4, rgba.data(), w * 4) != 0;
}

}  // namespace txray::ui
