#version 330 core
// One vertex per point: its position in data coordinates (in 3-D, after
// the rotation), its colour category and, for 3-D layouts, its depth. The
// view is a centre and a scale (pixels per data unit).
layout(location = 0) in vec2 position;
layout(location = 1) in float category;
layout(location = 2) in float selected;
layout(location = 3) in float depth;    // towards the viewer; 0 in 2-D

uniform vec2 center;
uniform float scale;
uniform vec2 viewport;        // in pixels
uniform float point_size;     // in pixels
uniform sampler2D palette;    // n_categories x 1, RGBA
uniform float depth_range;    // the farthest point from the rotation's centre; 0 in 2-D
uniform vec3 background;

out vec4 color;
flat out float ring;

// How much of the way to the background the farthest point goes (the
// depth cue; the Cairo fallback uses the same FOG).
const float FOG = 0.6;

void main ()
{
  vec2 pixels = (position - center) * scale;
  // Nearer points get a smaller z, so GL_LEQUAL keeps them in front.
  float z = depth_range > 0.0 ? clamp (-depth / depth_range, -1.0, 1.0) : 0.0;
  gl_Position = vec4 (pixels / (viewport * 0.5), z, 1.0);
  gl_PointSize = selected > 0.5 ? point_size + 3.0 : point_size;
  color = texelFetch (palette, ivec2 (int (category), 0), 0);
  if (depth_range > 0.0)
    color.rgb = mix (color.rgb, background, FOG * (z + 1.0) / 2.0);
  ring = selected;
  // Alpha 0: a hidden category, drawn nowhere.
  if (color.a == 0.0)
    {
      gl_Position = vec4 (2.0, 2.0, 2.0, 1.0);
      gl_PointSize = 0.0;
    }
}
